import { Global, Module } from '@nestjs/common';
import { ApiKeyVerifier } from './api-key.verifier';

@Global()
@Module({ providers: [ApiKeyVerifier], exports: [ApiKeyVerifier] })
export class AuthModule {}
