import { ArgumentMetadata, BadRequestException } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsArray, IsBoolean, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { FieldHints } from '../shared/field-hints';
import { formBoolean, formList, isFormBody, markFormBody } from '../shared/form-body';
import { IsOptionalNotNull } from '../shared/optional';
import { suggestField } from './unknown-field-hint';
import { createValidationPipe, FieldError } from './validation-pipe';

@FieldHints({
  to: 'destinationNumber',
  text: 'messageText',
  body: 'messageText',
  media: 'mediaUrls',
})
class ExampleDto {
  @IsString()
  @Matches(/^\+\d+$/)
  destinationNumber: string;

  @IsString()
  @Matches(/\S/)
  @MaxLength(5)
  messageText: string;

  @IsOptional()
  @IsString()
  mediaUrl?: string;

  @IsOptional()
  @Transform(formList)
  @IsArray()
  @IsString({ each: true })
  mediaUrls?: string[];

  @IsOptional()
  @IsArray()
  mediaIds?: string[];

  @IsOptionalNotNull()
  @Transform(formBoolean)
  @IsBoolean()
  fallbackToSms?: boolean;
}

/** A body as the form parser leaves it once marked (src/http/request-guards.ts: markFormBodies). */
function formBody(fields: Record<string, string | string[]>): Record<string, unknown> {
  const body = Object.assign(Object.create(null) as Record<string, unknown>, fields);
  markFormBody(body);
  return body;
}

class Undecorated {
  @IsString()
  name: string;
}

const metadata: ArgumentMetadata = { type: 'body', metatype: ExampleDto };

async function refusal(body: unknown, meta = metadata): Promise<FieldError[]> {
  const error = await createValidationPipe()
    .transform(body, meta)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(BadRequestException);
  const response = (error as BadRequestException).getResponse() as {
    code: string;
    message: string;
    errors: FieldError[];
  };
  expect(response.code).toBe('VALIDATION_FAILED');
  expect(response.message).toBe(response.errors.flatMap((e) => e.messages).join('; '));
  return response.errors;
}

const VALID = { destinationNumber: '+1415', messageText: 'hi' };

describe('createValidationPipe', () => {
  it('passes a valid body through, transformed', async () => {
    await expect(
      createValidationPipe().transform({ ...VALID, mediaUrls: ['x'] }, metadata),
    ).resolves.toEqual(Object.assign(new ExampleDto(), { ...VALID, mediaUrls: ['x'] }));
  });

  describe('form bodies (marked by the form parser) and JSON ones', () => {
    it('a form: a lone list value is the one-element list, "true" the boolean', async () => {
      const body = formBody({ ...VALID, mediaUrls: 'x', fallbackToSms: 'true' });
      await expect(createValidationPipe().transform(body, metadata)).resolves.toEqual(
        Object.assign(new ExampleDto(), { ...VALID, mediaUrls: ['x'], fallbackToSms: true }),
      );
    });

    it('a form: repeated keys stay the list; the mark is not a field (whitelist unmoved)', async () => {
      const body = formBody({ ...VALID, mediaUrls: ['x', 'y'], fallbackToSms: 'false' });
      const dto = await createValidationPipe().transform(body, metadata);
      expect(dto).toEqual(
        Object.assign(new ExampleDto(), { ...VALID, mediaUrls: ['x', 'y'], fallbackToSms: false }),
      );
      // The mark stays on the body: the DTO has no symbol of it.
      expect(Object.getOwnPropertySymbols(dto)).toEqual([]);
      expect(isFormBody(dto)).toBe(false);
    });

    it('JSON: a string where a list or a boolean is declared is refused', async () => {
      expect(await refusal({ ...VALID, mediaUrls: 'x', fallbackToSms: 'true' })).toEqual([
        { field: 'mediaUrls', messages: ['mediaUrls must be an array'] },
        { field: 'fallbackToSms', messages: ['fallbackToSms must be a boolean value'] },
      ]);
    });

    it("class-transformer's obj is the body the pipe was given (where the mark is)", async () => {
      const seen: unknown[] = [];
      class Probe {
        @Transform(({ value, obj }: { value: unknown; obj: unknown }) => (seen.push(obj), value))
        @IsString()
        name: string;
      }
      const body = formBody({ name: 'x' });
      await createValidationPipe().transform(body, { type: 'body', metatype: Probe });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toBe(body);
    });
  });

  it('an optional field may be left out, not sent as null: one message saying so', async () => {
    await expect(createValidationPipe().transform(VALID, metadata)).resolves.toEqual(
      Object.assign(new ExampleDto(), VALID),
    );
    expect(await refusal({ ...VALID, fallbackToSms: null })).toEqual([
      { field: 'fallbackToSms', messages: ['fallbackToSms may be left out, but not null'] },
    ]);
  });

  it('one message per missing (or null) field, not one per constraint it fails', async () => {
    expect(await refusal({ messageText: null })).toEqual([
      { field: 'destinationNumber', messages: ['destinationNumber is required'] },
      { field: 'messageText', messages: ['messageText is required'] },
    ]);
  });

  it('a value of the wrong type: the type error only', async () => {
    expect(await refusal({ ...VALID, messageText: ['a'] })).toEqual([
      { field: 'messageText', messages: ['messageText must be a string'] },
    ]);
  });

  it('a string breaking several rules: each rule named', async () => {
    const errors = await refusal({ ...VALID, messageText: '       ' });
    expect(errors).toEqual([{ field: 'messageText', messages: expect.any(Array) }]);
    expect(errors[0].messages).toHaveLength(2);
  });

  it.each([
    ['to', 'destinationNumber'],
    ['text', 'messageText'],
    ['body', 'messageText'],
    ['Body', 'messageText'],
    ['media', 'mediaUrls'],
    ['mediaUrl[]', 'mediaUrls'],
    ['mediaUrls[]', 'mediaUrls'],
    ['mediaUrl[0]', 'mediaUrls'],
    ['mediaURL', 'mediaUrl'],
    ['mediaURLs', 'mediaUrls'],
    ['media_urls', 'mediaUrls'],
    ['MediaUrl', 'mediaUrl'],
    ['destination_number', 'destinationNumber'],
    ['mediaId', 'mediaIds'],
    ['mesageText', 'messageText'],
    ['destinationNumbr', 'destinationNumber'],
  ])('an unknown field %s is refused with a hint: did you mean %s?', async (name, meant) => {
    expect(await refusal({ ...VALID, [name]: 'x' })).toEqual([
      {
        field: name,
        messages: [`property ${name} should not exist (did you mean ${meant}?)`],
      },
    ]);
  });

  it.each(['src', 'url', 'from', 'x', 'mediaX', 'constructorx'])(
    'an unknown field %s like no known one: refused without a hint',
    async (name) => {
      expect(await refusal({ ...VALID, [name]: 'x' })).toEqual([
        { field: name, messages: [`property ${name} should not exist`] },
      ]);
    },
  );

  it('the hint and the "required" message together, for {to, text}', async () => {
    expect(await refusal({ to: '+1415', text: 'hi' })).toEqual([
      { field: 'to', messages: ['property to should not exist (did you mean destinationNumber?)'] },
      { field: 'text', messages: ['property text should not exist (did you mean messageText?)'] },
      { field: 'destinationNumber', messages: ['destinationNumber is required'] },
      { field: 'messageText', messages: ['messageText is required'] },
    ]);
  });
});

describe('suggestField', () => {
  it('needs no declared hints: names close to a property are found in any DTO', () => {
    expect(suggestField(Undecorated, 'Name')).toBe('name');
    expect(suggestField(Undecorated, 'nmae')).toBeUndefined(); // a swap is two edits: too far for 4 letters
    expect(suggestField(Undecorated, 'to')).toBeUndefined();
  });

  it('never guesses between two equally close properties', () => {
    // "mediaUrlz" is one edit from mediaUrl (delete) and from mediaUrls (substitute).
    expect(suggestField(ExampleDto, 'mediaUrlz')).toBeUndefined();
  });

  it('a declared hint must name a real property', () => {
    @FieldHints({ to: 'nowhere' })
    class Broken {
      @IsString()
      name: string;
    }
    expect(suggestField(Broken, 'to')).toBeUndefined();
  });
});
