import { Notification } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';
import { HFSecureRequestError, postAPI, requestAPI } from './request';
import { probeGuard, enableGuard } from './guard';
import {
  GuardView,
  ICellPayload,
  IFinding,
  IFixReply,
  IJobsReply,
  IRedactCellsReply,
  IScanReply,
  ISavesReply,
  IStatusReply
} from './tokens';

/** Settings of the panel (the settings editor's `hfsecure-jupyter:plugin`). */
export interface ISidebarSettings {
  scanOnType: boolean;
  debounceMs: number;
}

/** A finding with where it is now (cell indices move when cells are added). */
export interface ILocatedFinding extends IFinding {
  cellId: string;
  cellIndex: number;
}

function errorText(error: unknown): string {
  if (error instanceof HFSecureRequestError) {
    return error.fix ? `${error.message} ${error.fix}` : error.message;
  }
  return String(error);
}

/**
 * Everything the Hugging Face panel shows, and the actions on it.
 *
 * The active notebook is scanned by the server's core while the user types: after `debounceMs`
 * without change, only the cells whose source or outputs changed since the last scan are sent.
 */
export class SidebarModel {
  constructor(settings: ISidebarSettings) {
    this._settings = { ...settings };
  }

  /** Emitted whenever something shown changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get settings(): ISidebarSettings {
    return this._settings;
  }

  set settings(value: ISidebarSettings) {
    this._settings = { ...value };
    this._emit();
  }

  status: IStatusReply | null = null;
  statusError = '';
  scanError = '';
  scanning = false;
  guard: GuardView = { state: 'no-kernel' };
  jobs: IJobsReply | null = null;
  jobsError = '';
  busy = '';

  get notebook(): NotebookPanel | null {
    return this._panel;
  }

  /** The active notebook's findings, in cell order. */
  get findings(): ILocatedFinding[] {
    const panel = this._panel;
    if (!panel || !panel.model) {
      return [];
    }
    const out: ILocatedFinding[] = [];
    const cells = panel.model.cells;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      for (const f of this._findings.get(cell.id) || []) {
        out.push({ ...f, cellId: cell.id, cellIndex: i });
      }
    }
    return out;
  }

  // --- login status -------------------------------------------------------------------------

  async refreshStatus(force = false): Promise<void> {
    window.clearTimeout(this._statusTimer);
    try {
      this.status = await requestAPI<IStatusReply>(
        force ? 'status?refresh=1' : 'status'
      );
      this.statusError = '';
    } catch (error) {
      this.statusError = errorText(error);
    }
    this._emit();
    // The server answers at once with "checking" while the Hub is asked: ask again soon.
    if (this.status && this.status.status.state === 'checking') {
      this._statusTimer = window.setTimeout(() => this.refreshStatus(), 1000);
    }
  }

  // --- jobs -----------------------------------------------------------------------------------

  async refreshJobs(): Promise<void> {
    try {
      this.jobs = await requestAPI<IJobsReply>('jobs?limit=10');
      this.jobsError = '';
    } catch (error) {
      this.jobsError = errorText(error);
    }
    this._emit();
  }

  // --- the active notebook --------------------------------------------------------------------

  /** Follow `panel` (the tracker's current notebook), or nothing. */
  setNotebook(panel: NotebookPanel | null): void {
    if (panel === this._panel) {
      return;
    }
    if (this._panel) {
      this._panel.model?.contentChanged.disconnect(this._onContentChanged, this);
      this._panel.context.saveState.disconnect(this._onSaveState, this);
      this._panel.sessionContext.kernelChanged.disconnect(this._onKernel, this);
      this._panel.sessionContext.statusChanged.disconnect(this._onKernelStatus, this);
    }
    this._panel = panel;
    this._findings = new Map();
    this._sent = new Map();
    this.scanError = '';
    this.guard = { state: 'no-kernel' };
    if (panel) {
      void panel.context.ready.then(() => {
        if (this._panel !== panel) {
          return;
        }
        panel.model?.contentChanged.connect(this._onContentChanged, this);
        this.scheduleScan(0);
      });
      panel.context.saveState.connect(this._onSaveState, this);
      panel.sessionContext.kernelChanged.connect(this._onKernel, this);
      panel.sessionContext.statusChanged.connect(this._onKernelStatus, this);
      void panel.sessionContext.ready.then(() => this.refreshGuard());
    }
    this._emit();
  }

  scheduleScan(delay?: number): void {
    window.clearTimeout(this._scanTimer);
    this._scanTimer = window.setTimeout(
      () => void this.scanNow(false),
      delay === undefined ? this._settings.debounceMs : delay
    );
  }

  /** Scan the cells that changed since the last scan (all of them when `all`). */
  async scanNow(all = true): Promise<void> {
    const panel = this._panel;
    if (!panel || !panel.model) {
      return;
    }
    if (this._inFlight) {
      // One request at a time: scan again when this one is back.
      this._again = true;
      return;
    }
    const cells = panel.model.cells;
    const live = new Set<string>();
    const payload: ICellPayload[] = [];
    const keys = new Map<string, string>();
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      live.add(cell.id);
      const json = cell.toJSON() as any;
      const outputs = cell.type === 'code' ? json.outputs || [] : [];
      const source = cell.sharedModel.getSource();
      const key = source + '\u0000' + JSON.stringify(outputs);
      if (!all && this._sent.get(cell.id) === key) {
        continue;
      }
      keys.set(cell.id, key);
      const item: ICellPayload = { id: cell.id, index: i, cell_type: cell.type, source };
      if (cell.type === 'code') {
        item.outputs = outputs;
      }
      payload.push(item);
    }
    for (const id of Array.from(this._findings.keys())) {
      if (!live.has(id)) {
        this._findings.delete(id);
        this._sent.delete(id);
      }
    }
    if (payload.length === 0) {
      this._emit();
      return;
    }
    this._inFlight = true;
    this.scanning = true;
    this._emit();
    try {
      const reply = await postAPI<IScanReply>('scan', {
        cells: payload,
        path: panel.context.path
      });
      if (this._panel === panel) {
        for (const cell of payload) {
          this._findings.set(cell.id, []);
          this._sent.set(cell.id, keys.get(cell.id) as string);
        }
        for (const f of reply.findings) {
          const id = f.cell_id || (payload.find(c => c.index === f.cell_index) || {}).id;
          if (id && this._findings.has(id)) {
            (this._findings.get(id) as IFinding[]).push(f);
          }
        }
        this.scanError = '';
      }
    } catch (error) {
      this.scanError = errorText(error);
    } finally {
      this._inFlight = false;
      this.scanning = false;
      this._emit();
      if (this._again) {
        this._again = false;
        this.scheduleScan();
      }
    }
  }

  /** Select the finding's cell and put the cursor on its line. */
  async jumpTo(finding: ILocatedFinding): Promise<void> {
    const panel = this._panel;
    if (!panel) {
      return;
    }
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(w => w.model.id === finding.cellId);
    if (index < 0) {
      return;
    }
    notebook.deselectAll();
    notebook.activeCellIndex = index;
    const cell = notebook.widgets[index];
    await notebook.scrollToItem(index, 'smart');
    if ((finding.field || 'source') === 'source' && cell.editor) {
      cell.editor.setCursorPosition({
        line: Math.max(0, finding.line - 1),
        column: Math.max(0, finding.column - 1)
      });
      cell.editor.focus();
    } else {
      cell.node.scrollIntoView({ block: 'nearest' });
    }
  }

  /** Replace the literal with code that reads the token (the server's core writes it). */
  async fix(finding: ILocatedFinding): Promise<void> {
    const panel = this._panel;
    const cell = panel?.model?.cells.get(finding.cellIndex);
    if (!panel || !cell || cell.id !== finding.cellId) {
      return;
    }
    this.busy = 'fix';
    this._emit();
    try {
      const reply = await postAPI<IFixReply>('fix', {
        source: cell.sharedModel.getSource(),
        line: finding.line,
        column: finding.column,
        rule: finding.rule
      });
      cell.sharedModel.setSource(reply.source);
      this.scheduleScan(0);
    } catch (error) {
      Notification.error(`Could not replace the token: ${errorText(error)}`, {
        autoClose: 8000
      });
    } finally {
      this.busy = '';
      this._emit();
    }
  }

  /** Mask every secret in the active notebook's outputs (the browser's copy, saved next). */
  async maskOutputs(): Promise<void> {
    const panel = this._panel;
    if (!panel || !panel.model) {
      return;
    }
    const cells = panel.model.cells;
    const payload: ICellPayload[] = [];
    for (let i = 0; i < cells.length; i++) {
      const cell = cells.get(i);
      if (cell.type === 'code') {
        const json = cell.toJSON() as any;
        if ((json.outputs || []).length > 0) {
          payload.push({
            id: cell.id,
            index: i,
            cell_type: 'code',
            source: '',
            outputs: json.outputs
          });
        }
      }
    }
    if (payload.length === 0) {
      Notification.info('No outputs to mask.', { autoClose: 3000 });
      return;
    }
    this.busy = 'mask';
    this._emit();
    try {
      const reply = await postAPI<IRedactCellsReply>('redact', {
        cells: payload,
        path: panel.context.path
      });
      let masked = 0;
      for (const out of reply.cells || []) {
        const cell = this._cellById(out.id);
        if (cell && out.outputs && cell.type === 'code') {
          const sent = payload.find(p => p.id === out.id);
          if (JSON.stringify(sent?.outputs) !== JSON.stringify(out.outputs)) {
            (cell.sharedModel as any).setOutputs(out.outputs);
            masked++;
          }
        }
      }
      Notification.success(
        masked > 0
          ? `Masked secrets in the outputs of ${masked} cell(s).`
          : 'No secret found in the outputs.',
        { autoClose: 4000 }
      );
      this.scheduleScan(0);
    } catch (error) {
      Notification.error(`Could not mask the outputs: ${errorText(error)}`, {
        autoClose: 8000
      });
    } finally {
      this.busy = '';
      this._emit();
    }
  }

  // --- the guard in the active kernel ---------------------------------------------------------

  async refreshGuard(): Promise<void> {
    const kernel = this._panel?.sessionContext.session?.kernel;
    if (!kernel) {
      this.guard = { state: 'no-kernel' };
      this._emit();
      return;
    }
    this.guard = { state: 'probing' };
    this._emit();
    this.guard = await probeGuard(kernel);
    this._emit();
  }

  async enableGuard(): Promise<void> {
    const kernel = this._panel?.sessionContext.session?.kernel;
    if (!kernel) {
      return;
    }
    this.busy = 'guard';
    this._emit();
    try {
      await enableGuard(kernel);
    } catch (error) {
      Notification.error(`Could not load the guard: ${String(error)}`, {
        autoClose: 8000
      });
    }
    this.busy = '';
    await this.refreshGuard();
  }

  dispose(): void {
    window.clearTimeout(this._scanTimer);
    window.clearTimeout(this._statusTimer);
    this.setNotebook(null);
    Signal.clearData(this);
  }

  private _cellById(id: string) {
    const cells = this._panel?.model?.cells;
    if (!cells) {
      return null;
    }
    for (let i = 0; i < cells.length; i++) {
      if (cells.get(i).id === id) {
        return cells.get(i);
      }
    }
    return null;
  }

  private _onContentChanged(): void {
    if (this._settings.scanOnType) {
      this.scheduleScan();
    }
  }

  private _onKernel(): void {
    void this.refreshGuard();
  }

  private _onKernelStatus(_: unknown, status: string): void {
    // After a restart the kernel comes back without the extension: probe again.
    if (status === 'restarting' || status === 'autorestarting') {
      this._restarted = true;
    } else if (status === 'idle' && this._restarted) {
      this._restarted = false;
      void this.refreshGuard();
    }
  }

  private _onSaveState(_: unknown, state: string): void {
    if (state !== 'completed') {
      return;
    }
    const panel = this._panel;
    if (!panel) {
      return;
    }
    const path = panel.context.path;
    void requestAPI<ISavesReply>(`saves?path=${encodeURIComponent(path)}`)
      .then(reply => {
        for (const ev of reply.events || []) {
          if (ev.error) {
            Notification.error(
              `The token check of ${ev.path} failed, so the file was saved as it was: ${ev.error}`,
              { autoClose: false }
            );
            continue;
          }
          const cells = (ev.cells || []).map(i => i + 1).join(', ');
          const what = ev.mode === 'refuse' ? 'refused the save of' : 'masked';
          Notification.warning(
            ev.mode === 'refuse'
              ? `Save of ${ev.path} refused: cell(s) ${cells} hold a token.`
              : `Masked ${ev.count} token(s) in cell(s) ${cells} of ${ev.path} before writing it to disk. Your open copy still shows them: replace them with code that reads the token, or reload the file.`,
            {
              autoClose: false,
              actions:
                what === 'masked'
                  ? [
                      {
                        label: 'Reload saved copy',
                        callback: () => void panel.context.revert()
                      }
                    ]
                  : []
            }
          );
        }
      })
      .catch(() => undefined);
  }

  private _emit(): void {
    this._changed.emit();
  }

  private _settings: ISidebarSettings;
  private _changed = new Signal<this, void>(this);
  private _panel: NotebookPanel | null = null;
  private _findings = new Map<string, IFinding[]>();
  private _sent = new Map<string, string>();
  private _scanTimer = 0;
  private _statusTimer = 0;
  private _inFlight = false;
  private _again = false;
  private _restarted = false;
}
