import { IsIn, IsNotEmpty, IsOptional, IsInt, Min, Max, Matches } from 'class-validator';
import { Environment, isProduction, validateConfig } from './validate-config';

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

  @IsOptional()
  @IsIn(['true', 'false'])
  MONGODB_AUTO_INDEX?: string;

  @IsOptional()
  @IsIn(['true', 'false'])
  MONGODB_REQUIRE_INDEXES?: string;
}

export interface DatabaseConfig {
  uri: string;
  serverSelectionTimeoutMs: number;
  /**
   * Mongoose builds the schemas' missing indexes at every start. Off in production, where
   * `npm run db:indexes` (the Deployment's init container) builds them as an explicit step; on
   * elsewhere, so the sandbox and the tests start on an empty database.
   */
  autoIndex: boolean;
  /**
   * At start, a missing (or changed) index refuses the start instead of a background warning.
   * On in production, where the init container has just built them: a missing one means a
   * unique or TTL guarantee would silently not hold.
   */
  requireIndexes: boolean;
}

const flag = (value: string | undefined, fallback: boolean): boolean =>
  value === undefined ? fallback : value === 'true';

export function buildDatabaseConfig(env: Environment): DatabaseConfig {
  const valid = validateConfig(env, DatabaseEnv);
  const production = isProduction(env);
  return {
    uri: valid.MONGODB_URI,
    serverSelectionTimeoutMs: valid.MONGODB_SERVER_SELECTION_TIMEOUT_MS ?? 5000,
    autoIndex: flag(valid.MONGODB_AUTO_INDEX, !production),
    requireIndexes: flag(valid.MONGODB_REQUIRE_INDEXES, production),
  };
}
