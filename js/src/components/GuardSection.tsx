import * as React from 'react';
import { GuardView } from '../tokens';

export interface IGuardSectionProps {
  guard: GuardView;
  busy: string;
  onEnable: () => void;
  onProbe: () => void;
}

function describe(guard: GuardView): { text: string; cls: string; canEnable: boolean } {
  switch (guard.state) {
    case 'no-kernel':
      return { text: 'No kernel.', cls: 'hfs-muted', canEnable: false };
    case 'probing':
      return { text: 'Asking the kernel...', cls: 'hfs-muted', canEnable: false };
    case 'unknown':
      return { text: guard.message, cls: 'hfs-muted', canEnable: false };
    default:
      if (!guard.installed) {
        return {
          text: 'hfsecure-jupyter is not installed in this kernel\u2019s environment.',
          cls: 'hfs-warning',
          canEnable: false
        };
      }
      if (!guard.loaded) {
        return {
          text: 'Off: cells that hold a token run, and outputs are not masked.',
          cls: 'hfs-warning',
          canEnable: true
        };
      }
      return {
        text: `On (${guard.guard || 'block'}): a cell holding a token is stopped before it runs${guard.redaction ? '; outputs are masked' : ''}.`,
        cls: 'hfs-ok',
        canEnable: false
      };
  }
}

/** Whether the active kernel runs the guard, with a button to turn it on. */
export function GuardSection(props: IGuardSectionProps): JSX.Element {
  const d = describe(props.guard);
  return (
    <section className="hfs-section hfs-guard" data-hfs="guard">
      <header className="hfs-section-header">
        <h3>Kernel guard</h3>
        <button className="hfs-link-button" onClick={props.onProbe}>
          Check
        </button>
      </header>
      <p className={d.cls} data-hfs-guard={props.guard.state === 'probed' ? (props.guard.loaded ? 'on' : 'off') : props.guard.state}>
        {d.text}
      </p>
      {d.canEnable && (
        <button
          className="jp-Button jp-mod-styled jp-mod-accept hfs-small"
          data-hfs="enable-guard"
          disabled={props.busy !== ''}
          onClick={props.onEnable}
        >
          Turn the guard on
        </button>
      )}
    </section>
  );
}
