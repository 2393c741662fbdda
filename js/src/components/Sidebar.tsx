import * as React from 'react';
import { SidebarModel } from '../model';
import { FindingsSection } from './FindingsSection';
import { GuardSection } from './GuardSection';
import { JobsSection } from './JobsSection';
import { StatusSection } from './StatusSection';

/** The whole panel: login, the active notebook, the kernel guard, recent jobs. */
export function Sidebar(props: { model: SidebarModel }): JSX.Element {
  const m = props.model;
  return (
    <div className="hfs-sidebar">
      <StatusSection
        reply={m.status}
        error={m.statusError}
        onRefresh={() => void m.refreshStatus(true)}
      />
      <FindingsSection
        notebookPath={m.notebook ? m.notebook.context.path : null}
        findings={m.findings}
        scanning={m.scanning}
        error={m.scanError}
        busy={m.busy}
        onJump={f => void m.jumpTo(f)}
        onFix={f => void m.fix(f)}
        onMask={() => void m.maskOutputs()}
        onScan={() => void m.scanNow(true)}
      />
      <GuardSection
        guard={m.guard}
        busy={m.busy}
        onEnable={() => void m.enableGuard()}
        onProbe={() => void m.refreshGuard()}
      />
      <JobsSection reply={m.jobs} error={m.jobsError} onRefresh={() => void m.refreshJobs()} />
    </div>
  );
}
