import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, finalize } from 'rxjs';
import { ShutdownState } from './shutdown-state';

/** Counts running handlers for the graceful shutdown (see ShutdownState). */
@Injectable()
export class InFlightInterceptor implements NestInterceptor {
  constructor(private readonly shutdown: ShutdownState) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const leave = this.shutdown.enter();
    return next.handle().pipe(finalize(leave));
  }
}
