import { CallHandler, ExecutionContext, HttpException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { lastValueFrom, of, throwError } from 'rxjs';
import { AllConfig } from '../../../config/config.type';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyStore, Reservation } from './idempotency.store';
import { LapsedKeyResolver } from './lapsed-key';
import { ReservedMessageIdInUseException } from './reserved-message-id';
import { Types } from 'mongoose';

function context(key?: string): ExecutionContext {
  const req = { headers: key ? { 'idempotency-key': key } : {}, body: { a: 1 } };
  const res = { statusCode: 202, setHeader: jest.fn() };
  return {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ExecutionContext;
}

function fakeStore(overrides: Partial<Record<keyof IdempotencyStore, jest.Mock>> = {}) {
  return {
    reserve: jest.fn(async (): Promise<Reservation> => ({
      outcome: 'reserved',
      messageId: new Types.ObjectId(),
      holder: 'h1',
    })),
    complete: jest.fn(async () => undefined),
    release: jest.fn(async () => undefined),
    ...overrides,
  };
}

const config = {
  get: (key: string) =>
    key === 'plivo'
      ? { sendDeadlineMs: 1000 }
      : key === 'send'
        ? { mediaPreflightTimeoutMs: 100 }
        : false,
} as unknown as ConfigService<AllConfig, true>;
const noLapses = {
  resolve: () => Promise.reject(new Error('no key lapses in these cases')),
} as unknown as LapsedKeyResolver;

describe('IdempotencyInterceptor', () => {
  it('a failure to store the answer after a successful send still answers 202 and keeps the key', async () => {
    const store = fakeStore({
      complete: jest.fn(async () =>
        Promise.reject(Object.assign(new Error('down'), { name: 'MongoNetworkError' })),
      ),
    });
    const interceptor = new IdempotencyInterceptor(
      store as unknown as IdempotencyStore,
      noLapses,
      config,
    );
    const handler: CallHandler = { handle: () => of({ messageId: 'm1' }) };
    const body = await lastValueFrom(await interceptor.intercept(context('k1'), handler));
    expect(body).toEqual({ messageId: 'm1' });
    expect(store.release).not.toHaveBeenCalled();
  });

  it('frees the key when nothing was sent, keeps it when the answer is about the message', async () => {
    const store = fakeStore();
    const interceptor = new IdempotencyInterceptor(
      store as unknown as IdempotencyStore,
      noLapses,
      config,
    );
    const notSent: CallHandler = {
      handle: () =>
        throwError(() => new HttpException({ message: 'retry', code: 'PLIVO_UNAVAILABLE' }, 503)),
    };
    await expect(
      lastValueFrom(await interceptor.intercept(context('k2'), notSent)),
    ).rejects.toThrow(HttpException);
    expect(store.release).toHaveBeenCalledTimes(1);
    expect(store.release).toHaveBeenCalledWith(expect.stringContaining('k2'), 'h1');
    const ambiguous: CallHandler = {
      handle: () =>
        throwError(() => new HttpException({ message: 'unknown', messageId: 'm2' }, 504)),
    };
    await expect(
      lastValueFrom(await interceptor.intercept(context('k3'), ambiguous)),
    ).rejects.toThrow(HttpException);
    expect(store.complete).toHaveBeenCalledWith(
      expect.stringContaining('k3'),
      'h1',
      504,
      expect.objectContaining({ messageId: 'm2' }),
    );
  });

  it('keeps the key held (neither completes nor frees it) when another holder already logged under the reserved id', async () => {
    const store = fakeStore();
    const interceptor = new IdempotencyInterceptor(
      store as unknown as IdempotencyStore,
      noLapses,
      config,
    );
    const taken: CallHandler = {
      handle: () => throwError(() => new ReservedMessageIdInUseException()),
    };
    await expect(
      lastValueFrom(await interceptor.intercept(context('k4'), taken)),
    ).rejects.toBeInstanceOf(ReservedMessageIdInUseException);
    expect(store.release).not.toHaveBeenCalled();
    expect(store.complete).not.toHaveBeenCalled();
  });
});
