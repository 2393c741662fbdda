/**
 * Payload types of the hfsecure server REST API (see the server extension's handlers).
 * No payload ever holds a token value: masked previews (`hf_****wxyz`) at most.
 */

/** Where the active token comes from (names and paths only). */
export interface ITokenSource {
  name: string;
  shadows: string[];
  stored_token_names: string[];
  active_token_name: string | null;
  token_path: string;
  note: string;
  [key: string]: unknown;
}

/** Login states, as the server's `AuthStatus.state`. */
export type AuthState =
  | 'logged-out'
  | 'checking'
  | 'ok'
  | 'invalid'
  | 'unreachable'
  | 'rate-limited'
  | 'unknown';

/** `AuthStatus.to_dict()`. */
export interface IAuthStatus {
  state: AuthState;
  user: string | null;
  fullname: string | null;
  orgs: { name: string; role: string | null }[];
  token_name: string | null;
  role: string | null;
  scopes: string;
  created_at: string | null;
  age_days: number | null;
  source: ITokenSource;
  masked_token: string | null;
  error: string;
  stale: boolean;
  summary: string;
  checked_at: number | null;
}

/** `GET /hfsecure/status`. */
export interface IStatusReply {
  status: IAuthStatus;
  rotation_days: number;
  on_save: 'redact' | 'refuse' | 'off';
  version: string;
}

/** One finding record (`hfsecure_jupyter.report.finding_record` plus the notebook location). */
export interface IFinding {
  rule: string;
  path: string;
  location: string;
  line: number;
  column: number;
  end_line: number | null;
  end_column: number | null;
  preview: string;
  fingerprint: string;
  suppressed: boolean;
  kind: 'secret' | 'misuse';
  severity: 'error' | 'warning';
  message: string;
  fix: string;
  cell_index?: number | null;
  cell_id?: string | null;
  field?: string | null;
}

/** One cell of the incremental scan / redact body. */
export interface ICellPayload {
  id: string;
  index: number;
  cell_type: string;
  source: string;
  outputs?: unknown[];
}

/** `POST /hfsecure/scan`. */
export interface IScanReply {
  findings: IFinding[];
  summary: { secrets: number; warnings: number; suppressed: number };
  notes: string[];
}

/** `POST /hfsecure/redact` with the `cells` body. */
export interface IRedactCellsReply {
  cells: ICellPayload[];
  findings: IFinding[];
  changed: boolean;
}

/** `POST /hfsecure/fix`. */
export interface IFixReply {
  source: string;
  replacement: string;
  imports: string[];
}

/** One job of `GET /hfsecure/jobs`. */
export interface IJob {
  id: string;
  owner: string;
  stage: string;
  message: string | null;
  created_at: string | null;
  flavor: string | null;
  url: string | null;
  command_preview: string | null;
}

/** `GET /hfsecure/jobs`. */
export interface IJobsReply {
  jobs: IJob[];
  state: 'ok' | 'unreachable' | 'logged-out' | 'checking';
}

/** One save-hook event of `GET /hfsecure/saves`. */
export interface ISaveEvent {
  path: string;
  cells: number[];
  count: number;
  mode: string;
  at: number | string;
  error?: string;
}

/** `GET /hfsecure/saves`. */
export interface ISavesReply {
  events: ISaveEvent[];
}

/** What the kernel probe reports (`hfsecure_jupyter.kernel.probe.probe()`). */
export interface IGuardProbe {
  installed: boolean;
  loaded: boolean;
  guard: string | null;
  redaction: boolean;
  version: string | null;
  error?: string;
}

/** The guard state the panel shows. */
export type GuardView =
  | { state: 'no-kernel' }
  | { state: 'probing' }
  | { state: 'unknown'; message: string }
  | ({ state: 'probed' } & IGuardProbe);
