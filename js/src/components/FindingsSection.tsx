import * as React from 'react';
import { ILocatedFinding } from '../model';

export interface IFindingsSectionProps {
  notebookPath: string | null;
  findings: ILocatedFinding[];
  scanning: boolean;
  error: string;
  busy: string;
  onJump: (f: ILocatedFinding) => void;
  onFix: (f: ILocatedFinding) => void;
  onMask: () => void;
  onScan: () => void;
}

function where(f: ILocatedFinding): string {
  const field = f.field || 'source';
  const place = field === 'source' ? `line ${f.line}` : field;
  return `Cell ${f.cellIndex + 1}, ${place}`;
}

/** The active notebook's findings; each row jumps to its cell. */
export function FindingsSection(props: IFindingsSectionProps): JSX.Element {
  const { findings } = props;
  const inOutputs = findings.some(f => (f.field || '') === 'outputs');
  return (
    <section className="hfs-section hfs-findings" data-hfs="findings">
      <header className="hfs-section-header">
        <h3>
          Notebook{props.scanning ? ' · scanning' : ''}
        </h3>
        <button className="hfs-link-button" onClick={props.onScan} disabled={!props.notebookPath}>
          Scan now
        </button>
      </header>
      {!props.notebookPath && <p className="hfs-muted">Open a notebook to check it as you type.</p>}
      {props.error && <p className="hfs-error">{props.error}</p>}
      {props.notebookPath && findings.length === 0 && !props.error && (
        <p className="hfs-ok" data-hfs="no-findings">No token found in {props.notebookPath}.</p>
      )}
      {findings.length > 0 && (
        <ul className="hfs-list">
          {findings.map((f, i) => (
            <li
              key={`${f.cellId}-${f.fingerprint}-${i}`}
              className={`hfs-finding hfs-${f.severity}`}
              data-hfs="finding"
              data-hfs-field={f.field || 'source'}
            >
              <button
                className="hfs-finding-main"
                onClick={() => props.onJump(f)}
                title="Go to this cell"
              >
                <span className="hfs-finding-where">{where(f)}</span>
                <span className="hfs-finding-what">
                  {f.message.includes(f.preview) ? null : <code>{f.preview}</code>} {f.message}
                </span>
              </button>
              {f.kind === 'secret' && (f.field || 'source') === 'source' && (
                <button
                  className="jp-Button jp-mod-styled jp-mod-accept hfs-small"
                  data-hfs="fix"
                  disabled={props.busy !== ''}
                  onClick={() => props.onFix(f)}
                  title="Replace the literal with code that reads your token"
                >
                  Replace with code that reads the token
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {inOutputs && (
        <button
          className="jp-Button jp-mod-styled jp-mod-warn hfs-small"
          data-hfs="mask"
          disabled={props.busy !== ''}
          onClick={props.onMask}
        >
          Mask outputs
        </button>
      )}
    </section>
  );
}
