import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { Sidebar } from './components/Sidebar';
import { hfsecureIcon } from './icon';
import { SidebarModel } from './model';

/** The "Hugging Face" side panel: a React view of the `SidebarModel`. */
export class HFSecurePanel extends ReactWidget {
  constructor(readonly model: SidebarModel) {
    super();
    this.id = 'hfsecure-panel';
    this.title.caption = 'Hugging Face';
    this.title.icon = hfsecureIcon;
    this.addClass('hfs-panel');
    model.changed.connect(this._markTab, this);
  }

  dispose(): void {
    this.model.changed.disconnect(this._markTab, this);
    super.dispose();
  }

  protected onAfterShow(): void {
    void this.model.refreshStatus();
    void this.model.refreshJobs();
  }

  render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => <Sidebar model={this.model} />}
      </UseSignal>
    );
  }

  /**
   * The panel's tab tells of the open notebook's findings while the panel is closed: a dot on its icon
   * (red for a token, amber for a misuse warning) and a tooltip that counts them.
   */
  private _markTab(): void {
    const found = this.model.findings;
    const secrets = found.filter(f => f.kind === 'secret').length;
    const warnings = found.length - secrets;
    const parts: string[] = [];
    if (secrets) {
      parts.push(`${secrets} token${secrets === 1 ? '' : 's'}`);
    }
    if (warnings) {
      parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`);
    }
    const caption = parts.length
      ? `Hugging Face: ${parts.join(' and ')} in this notebook`
      : 'Hugging Face';
    const className = secrets
      ? 'hfs-mod-secret'
      : warnings
        ? 'hfs-mod-warning'
        : '';
    if (this.title.caption !== caption) {
      this.title.caption = caption;
    }
    if (this.title.className !== className) {
      this.title.className = className;
    }
  }
}
