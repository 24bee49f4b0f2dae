// The endpoint's errors. ApiError: what a request gets (HTTP status = errorcode, as
// CloudStack answers). EndpointError: the endpoint cannot start or run as configured
// (a corrupt data file, a port in use, empty credentials): one line for its operator.
import { ForkliftError, type ErrorDetails } from '../../errors.ts';

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

export class EndpointError extends ForkliftError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(`cloudstack-endpoint: ${message}`, 'ENDPOINT', details);
  }
}
