import {
  ArgumentsHost,
  BadRequestException,
  ConflictException,
  HttpException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { METHODS } from 'node:http';
import { HttpExceptionFilter } from './http-exception.filter';

/** The filter on its own: what each kind of exception becomes (the e2e specs drive it over HTTP). */
function answer(exception: unknown, routes: Array<{ path: string; methods: string[] }> = []) {
  const headers: Record<string, string> = {};
  let status = 0;
  let body: Record<string, unknown> = {};
  const res = {
    headersSent: false,
    getHeader: (name: string) => headers[name],
    setHeader: (name: string, value: string) => (headers[name] = value),
    status(code: number) {
      status = code;
      return this;
    },
    json(value: Record<string, unknown>) {
      body = value;
      return this;
    },
  };
  const stack = routes.map(({ path, methods }) => ({
    route: { methods: Object.fromEntries(methods.map((m) => [m, true])) },
    match: (p: string) => p === path,
  }));
  const req = { id: 'req-1', method: 'DELETE', path: '/things', app: { router: { stack } } };
  const host = {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ArgumentsHost;
  new HttpExceptionFilter().catch(exception, host);
  return { status, body, headers };
}

describe('HttpExceptionFilter', () => {
  // Unexpected errors are logged at error level; keep the test output quiet.
  const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  afterAll(() => logged.mockRestore());

  it("keeps the thrower's code and extra fields", () => {
    const { status, body } = answer(
      new BadRequestException({ message: 'bad', code: 'VALIDATION_FAILED', errors: [] }),
    );
    expect(status).toBe(400);
    expect(body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION_FAILED',
      message: 'bad',
      errors: [],
      requestId: 'req-1',
    });
  });

  it.each([
    [new PayloadTooLargeException(), 413, 'PAYLOAD_TOO_LARGE'],
    [new ConflictException('busy'), 409, 'CONFLICT'],
    [new ThrottlerException('slow down'), 429, 'RATE_LIMITED'],
    [new ServiceUnavailableException({ status: 'error', details: {} }), 503, 'SERVICE_UNAVAILABLE'],
    [new HttpException('teapot', 418), 418, 'I_M_A_TEAPOT'],
    [new Error('boom'), 500, 'INTERNAL_ERROR'],
    ['a thrown string', 500, 'INTERNAL_ERROR'],
  ])('gives %p its status default code', (exception, status, code) => {
    const answered = answer(exception);
    expect(answered.status).toBe(status);
    expect(answered.body).toMatchObject({ statusCode: status, code, requestId: 'req-1' });
    expect(typeof answered.body.message).toBe('string');
    // Only what no HttpException describes is logged as an unhandled error.
    expect(logged).toHaveBeenCalledTimes(exception instanceof HttpException ? 0 : 1);
    logged.mockClear();
  });

  it('an unreachable database is a 503 DATABASE_UNAVAILABLE with Retry-After', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), {
      name: 'MongoServerSelectionError',
    });
    const { status, body, headers } = answer(error);
    expect([status, body.code, headers['Retry-After']]).toEqual([503, 'DATABASE_UNAVAILABLE', '5']);
    logged.mockClear();
  });

  it("the router's 404 on a path served with other methods is a 405 with Allow", () => {
    const { status, body, headers } = answer(new NotFoundException('Cannot DELETE /things'), [
      { path: '/things', methods: ['get', 'post'] },
    ]);
    expect(status).toBe(405);
    expect(body).toMatchObject({ statusCode: 405, code: 'METHOD_NOT_ALLOWED' });
    expect(headers.Allow).toBe('GET, HEAD, POST');
  });

  it('a 404 stays a 404 when no route has the path, or when a route for this method threw it', () => {
    expect(
      answer(new NotFoundException(), [{ path: '/other', methods: ['get'] }]).body,
    ).toMatchObject({
      statusCode: 404,
      code: 'NOT_FOUND',
    });
    const own = answer(new NotFoundException({ message: 'gone', code: 'MESSAGE_NOT_FOUND' }), [
      { path: '/things', methods: ['delete'] },
    ]);
    expect([own.status, own.body.code, own.headers.Allow]).toEqual([
      404,
      'MESSAGE_NOT_FOUND',
      undefined,
    ]);
  });

  it('catch-alls that take every method (how Nest mounts middleware) are not routes', () => {
    const all = METHODS.map((m) => m.toLowerCase());
    const { status, body } = answer(new NotFoundException(), [{ path: '/things', methods: all }]);
    expect([status, body.code]).toEqual([404, 'NOT_FOUND']);
  });
});
