import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** An error answered by the hfsecure server (`{"error": {code, message, fix}}`) or the network. */
export class HFSecureRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly fix?: string
  ) {
    super(message);
    this.name = 'HFSecureRequestError';
  }
}

/**
 * Call one route of the hfsecure server extension (`/hfsecure/<endPoint>`) and return its JSON.
 *
 * Goes through `ServerConnection.makeRequest`, which adds the token and XSRF headers.
 * Throws `HFSecureRequestError` with the server's code and message on any failure.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'hfsecure', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new HFSecureRequestError(
      `The Jupyter server cannot be reached (${String(error)}).`,
      0,
      'network'
    );
  }
  const text = await response.text();
  let data: any = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      data = null;
    }
  }
  if (!response.ok) {
    const err = data && data.error ? data.error : {};
    const message =
      err.message ||
      (response.status === 404
        ? 'The hfsecure server extension is not enabled (run: jupyter server extension enable hfsecure_jupyter).'
        : `The server answered ${response.status}.`);
    throw new HFSecureRequestError(
      message,
      response.status,
      err.code || `http-${response.status}`,
      err.fix
    );
  }
  return data as T;
}

/** `requestAPI` with a JSON body (POST). */
export function postAPI<T>(endPoint: string, body: unknown): Promise<T> {
  return requestAPI<T>(endPoint, {
    method: 'POST',
    body: JSON.stringify(body)
  });
}
