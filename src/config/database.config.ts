import { registerAs } from '@nestjs/config';
import { IsNotEmpty, IsOptional, IsInt, Min, Max, Matches } from 'class-validator';
import { validateConfig } from './validate-config';

class DatabaseEnv {
  @IsNotEmpty({
    message:
      'MONGODB_URI is required (outside production an embedded server is started when it is unset)',
  })
  @Matches(/^mongodb(\+srv)?:\/\//, {
    message: 'MONGODB_URI must start with mongodb:// or mongodb+srv://',
  })
  MONGODB_URI: string;

  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(60000)
  MONGODB_SERVER_SELECTION_TIMEOUT_MS?: number;
}

export interface DatabaseConfig {
  uri: string;
  serverSelectionTimeoutMs: number;
}

export const databaseConfig = registerAs('database', (): DatabaseConfig => {
  const env = validateConfig(process.env, DatabaseEnv);
  return {
    uri: env.MONGODB_URI,
    serverSelectionTimeoutMs: env.MONGODB_SERVER_SELECTION_TIMEOUT_MS ?? 5000,
  };
});
