import * as React from 'react';
import { IStatusReply } from '../tokens';

const SOURCE_LABELS: Record<string, string> = {
  'env:HF_TOKEN': 'the HF_TOKEN environment variable',
  'env:HUGGING_FACE_HUB_TOKEN': 'the legacy HUGGING_FACE_HUB_TOKEN variable',
  file: 'your stored login (token file)',
  colab: 'the Colab secret HF_TOKEN',
  oidc: 'a short-lived OIDC token',
  none: 'no token'
};

const STATE_LABELS: Record<string, string> = {
  ok: 'Hub: token valid',
  checking: 'Hub: checking...',
  invalid: 'Hub: token invalid or revoked',
  unreachable: 'Hub: unreachable',
  'rate-limited': 'Hub: rate limited',
  'logged-out': 'Logged out',
  unknown: 'Hub: unknown'
};

export interface IStatusSectionProps {
  reply: IStatusReply | null;
  error: string;
  onRefresh: () => void;
}

/** Who is logged in, with what token, from where, and whether the Hub agrees. */
export function StatusSection(props: IStatusSectionProps): JSX.Element {
  const { reply, error } = props;
  const st = reply?.status;
  return (
    <section className="hfs-section hfs-status" data-hfs="status">
      <header className="hfs-section-header">
        <h3>Login</h3>
        <button className="hfs-link-button" onClick={props.onRefresh} title="Check the login again">
          Refresh
        </button>
      </header>
      {error && <p className="hfs-error">{error}</p>}
      {!st && !error && <p className="hfs-muted">Loading...</p>}
      {st && (
        <div>
          <p className={`hfs-state hfs-state-${st.state}`} data-hfs-state={st.state}>
            {STATE_LABELS[st.state] || st.state}
            {st.stale ? ' (cached)' : ''}
          </p>
          {st.user && (
            <p>
              <span className="hfs-label">User</span>{' '}
              <strong data-hfs="user">{st.user}</strong>
              {st.fullname ? ` (${st.fullname})` : ''}
            </p>
          )}
          {st.orgs.length > 0 && (
            <p>
              <span className="hfs-label">Orgs</span>{' '}
              {st.orgs.map(o => (o.role ? `${o.name} (${o.role})` : o.name)).join(', ')}
            </p>
          )}
          {st.masked_token && (
            <p>
              <span className="hfs-label">Token</span>{' '}
              {st.token_name ? `'${st.token_name}' ` : ''}
              <code>{st.masked_token}</code>
              {st.role ? ` · ${st.role === 'fineGrained' ? 'fine-grained' : st.role}` : ''}
            </p>
          )}
          {st.scopes && (
            <p>
              <span className="hfs-label">May</span> {st.scopes}
            </p>
          )}
          <p>
            <span className="hfs-label">From</span> {SOURCE_LABELS[st.source.name] || st.source.name}
          </p>
          {st.source.shadows.length > 0 && (
            <p className="hfs-warning">
              It hides another token in {st.source.shadows.map(s => SOURCE_LABELS[s] || s).join(', ')}.
            </p>
          )}
          {st.age_days !== null && (
            <p className={reply && st.age_days >= reply.rotation_days ? 'hfs-warning' : ''}>
              <span className="hfs-label">Age</span> {st.age_days} day(s)
              {reply && st.age_days >= reply.rotation_days
                ? ` — older than ${reply.rotation_days} days: rotate it in your token settings.`
                : ''}
            </p>
          )}
          {st.error && st.state !== 'ok' && <p className="hfs-error">{st.error}</p>}
          {st.state === 'logged-out' && (
            <p className="hfs-muted">
              Log in with <code>hf auth login</code> in a terminal, or set HF_TOKEN before starting Jupyter.
            </p>
          )}
          {reply && (
            <p className="hfs-muted">
              On save: {reply.on_save === 'redact' ? 'tokens are masked' : reply.on_save === 'refuse' ? 'a save with a token is refused' : 'not checked'}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
