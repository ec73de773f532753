/**
 * Why a patch could not be applied. `malformed` means the patch document itself is wrong (the API
 * answers 400 BadRequest); `conflict` means a well-formed patch does not fit the object, such as a
 * failed json-patch "test" or a path that does not exist (the API answers 422 Invalid, as upstream).
 */
export class PatchError extends Error {
  override readonly name = 'PatchError';
  constructor(
    readonly kind: 'malformed' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}
