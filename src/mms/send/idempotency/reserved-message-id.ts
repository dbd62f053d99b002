import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Types } from 'mongoose';

export const RESERVED_MESSAGE_ID = Symbol('reservedMessageId');

export type RequestWithReservation = Request & { [RESERVED_MESSAGE_ID]?: Types.ObjectId };

/** The message id an Idempotency-Key reservation chose for this request (undefined without a key). */
export const ReservedMessageId = createParamDecorator(
  (_: unknown, context: ExecutionContext) =>
    context.switchToHttp().getRequest<RequestWithReservation>()[RESERVED_MESSAGE_ID],
);
