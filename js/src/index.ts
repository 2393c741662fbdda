import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { SidebarModel, ISidebarSettings } from './model';
import { HFSecurePanel } from './panel';

const PLUGIN_ID = 'hfsecure-jupyter:plugin';

namespace CommandIDs {
  export const open = 'hfsecure:open-panel';
  export const scan = 'hfsecure:scan-now';
  export const mask = 'hfsecure:mask-outputs';
  export const guard = 'hfsecure:enable-guard';
}

const DEFAULTS: ISidebarSettings = { scanOnType: true, debounceMs: 400 };

function readSettings(settings: ISettingRegistry.ISettings): ISidebarSettings {
  const debounce = Number(settings.get('debounceMs').composite);
  return {
    scanOnType: settings.get('scanOnType').composite !== false,
    debounceMs: Number.isFinite(debounce) ? Math.max(50, debounce) : DEFAULTS.debounceMs
  };
}

/** The Hugging Face panel: login status, findings as you type, the kernel guard, recent jobs. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Keep Hugging Face tokens out of notebooks: login status and findings as you type.',
  autoStart: true,
  optional: [INotebookTracker, ISettingRegistry, ICommandPalette, ILabShell],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker | null,
    registry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    labShell: ILabShell | null
  ) => {
    const model = new SidebarModel(DEFAULTS);
    const panel = new HFSecurePanel(model);
    let docked = false;
    try {
      // JupyterLab and Notebook 7's notebook page have a right area; other shells may not.
      app.shell.add(panel, 'right', { rank: 900 });
      docked = true;
    } catch (error) {
      console.warn('hfsecure: no right area in this shell; the panel is not shown.', error);
    }
    void model.refreshStatus();
    void model.refreshJobs();

    if (tracker) {
      tracker.currentChanged.connect((_, nb) => model.setNotebook(nb));
      model.setNotebook(tracker.currentWidget);
    }

    if (registry) {
      void registry
        .load(PLUGIN_ID)
        .then(settings => {
          model.settings = readSettings(settings);
          settings.changed.connect(() => (model.settings = readSettings(settings)));
        })
        .catch(reason => console.warn('hfsecure: settings not loaded', reason));
    }

    const hasNotebook = () => model.notebook !== null;
    app.commands.addCommand(CommandIDs.open, {
      label: 'Hugging Face: Open Panel',
      isEnabled: () => docked,
      execute: () => {
        if (labShell) {
          labShell.activateById(panel.id);
        } else {
          app.shell.activateById(panel.id);
        }
      }
    });
    app.commands.addCommand(CommandIDs.scan, {
      label: 'Hugging Face: Scan Notebook for Tokens',
      isEnabled: hasNotebook,
      execute: () => model.scanNow(true)
    });
    app.commands.addCommand(CommandIDs.mask, {
      label: 'Hugging Face: Mask Tokens in Outputs',
      isEnabled: hasNotebook,
      execute: () => model.maskOutputs()
    });
    app.commands.addCommand(CommandIDs.guard, {
      label: 'Hugging Face: Turn the Token Guard On in This Kernel',
      isEnabled: hasNotebook,
      execute: () => model.enableGuard()
    });
    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        palette.addItem({ command, category: 'Hugging Face' });
      }
    }
  }
};

export default plugin;
