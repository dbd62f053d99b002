import { IsNotEmpty, IsOptional, IsInt, Min, Max, Matches } from 'class-validator';
import { Environment, validateConfig } from './validate-config';

class DatabaseEnv {
  @IsNotEmpty({
    message: 'MONGODB_URI is required (npm start runs the sandbox, with an embedded server)',
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

export function buildDatabaseConfig(env: Environment): DatabaseConfig {
  const valid = validateConfig(env, DatabaseEnv);
  return {
    uri: valid.MONGODB_URI,
    serverSelectionTimeoutMs: valid.MONGODB_SERVER_SELECTION_TIMEOUT_MS ?? 5000,
  };
}
