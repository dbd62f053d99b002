// The plivo package ships no type declarations; this covers the little we use.
declare module 'plivo' {
  export interface MessageCreateResponse {
    apiId: string;
    message: string;
    messageUuid: string[];
  }
  export class Client {
    constructor(
      authId: string,
      authToken: string,
      options?: { url?: string; timeout?: number; proxy?: string },
    );
    messages: {
      create(
        src: string,
        dst: string,
        text: string,
        optionalParams?: Record<string, unknown>,
        powerpackUUID?: string,
      ): Promise<MessageCreateResponse>;
    };
  }
  export function validateV3Signature(
    method: string,
    uri: string,
    nonce: string,
    authToken: string,
    signature: string,
    params?: Record<string, unknown>,
  ): boolean;
  export function validateSignature(
    uri: string,
    nonce: string,
    signature: string,
    authToken: string,
  ): boolean;
}
