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
}
