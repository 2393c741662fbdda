import * as React from 'react';
import { IJobsReply } from '../tokens';

export interface IJobsSectionProps {
  reply: IJobsReply | null;
  error: string;
  onRefresh: () => void;
}

/** Recent Hugging Face Jobs of the logged-in user. */
export function JobsSection(props: IJobsSectionProps): JSX.Element {
  const { reply } = props;
  return (
    <section className="hfs-section hfs-jobs" data-hfs="jobs">
      <header className="hfs-section-header">
        <h3>Recent jobs</h3>
        <button className="hfs-link-button" onClick={props.onRefresh}>
          Refresh
        </button>
      </header>
      {props.error && <p className="hfs-error">{props.error}</p>}
      {reply && reply.state !== 'ok' && (
        <p className="hfs-muted">
          {reply.state === 'logged-out'
            ? 'Log in to see your jobs.'
            : reply.state === 'checking'
              ? 'Loading...'
              : 'The Hub is unreachable.'}
        </p>
      )}
      {reply && reply.state === 'ok' && reply.jobs.length === 0 && (
        <p className="hfs-muted">No jobs yet. Run one with <code>%%hfjob</code>.</p>
      )}
      {reply && reply.jobs.length > 0 && (
        <ul className="hfs-list">
          {reply.jobs.map(job => (
            <li key={job.id} className="hfs-job" data-hfs="job">
              <span className={`hfs-stage hfs-stage-${job.stage.toLowerCase()}`}>{job.stage}</span>{' '}
              {job.url ? (
                <a href={job.url} target="_blank" rel="noopener noreferrer">
                  {job.id.slice(0, 12)}
                </a>
              ) : (
                job.id.slice(0, 12)
              )}
              {job.flavor ? ` · ${job.flavor}` : ''}
              {job.command_preview && <div className="hfs-muted hfs-ellipsis">{job.command_preview}</div>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
