// The endpoint's API errors: the HTTP status is the errorcode, as CloudStack answers.
/** An API error: HTTP status = errorcode. */
export class ApiError extends Error {
  constructor(
    readonly errorcode: number,
    message: string,
    readonly cserrorcode = 4350,
  ) {
    super(message);
  }
}
