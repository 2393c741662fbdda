import { Kernel, KernelMessage } from '@jupyterlab/services';
import { GuardView, IGuardProbe } from './tokens';

/** The line the kernel probe prints before its JSON (`hfsecure_jupyter.kernel.probe.emit`). */
export const PROBE_MARKER = 'HFSECURE-PROBE:';

// One expression: nothing is bound in the user's namespace, nothing enters the history.
const PROBE_CODE =
  "__import__('hfsecure_jupyter.kernel.probe', fromlist=['emit']).emit()";

/** Run `code` silently (no `execute_input`, no history, no execution count) and collect its stdout. */
async function runSilently(
  kernel: Kernel.IKernelConnection,
  code: string,
  timeoutMs: number
): Promise<{ stdout: string; reply: KernelMessage.IExecuteReplyMsg['content'] | null }> {
  const future = kernel.requestExecute(
    { code, silent: true, store_history: false, allow_stdin: false, stop_on_error: false },
    true
  );
  let stdout = '';
  future.onIOPub = msg => {
    if (KernelMessage.isStreamMsg(msg) && msg.content.name === 'stdout') {
      stdout += msg.content.text;
    }
  };
  let timer = 0;
  const timeout = new Promise<null>(resolve => {
    timer = window.setTimeout(() => resolve(null), timeoutMs);
  });
  const reply = await Promise.race([future.done.then(r => r.content), timeout]);
  window.clearTimeout(timer);
  return { stdout, reply };
}

/** Ask the kernel, silently, whether the hfsecure guard is loaded there. */
export async function probeGuard(kernel: Kernel.IKernelConnection): Promise<GuardView> {
  let result;
  try {
    result = await runSilently(kernel, PROBE_CODE, 15000);
  } catch (error) {
    return { state: 'unknown', message: `The kernel did not answer (${String(error)}).` };
  }
  const line = result.stdout.split('\n').find(l => l.startsWith(PROBE_MARKER));
  if (line) {
    try {
      const probe = JSON.parse(line.slice(PROBE_MARKER.length)) as IGuardProbe;
      return { state: 'probed', ...probe };
    } catch (error) {
      // fall through
    }
  }
  if (result.reply === null) {
    return { state: 'unknown', message: 'The kernel is busy: the guard state is not known yet.' };
  }
  if (result.reply.status === 'error') {
    const missing = /ModuleNotFoundError|ImportError/.test(result.reply.ename);
    if (missing) {
      return {
        state: 'probed',
        installed: false,
        loaded: false,
        guard: null,
        redaction: false,
        version: null
      };
    }
    return { state: 'unknown', message: `The probe failed in the kernel (${result.reply.ename}).` };
  }
  return {
    state: 'unknown',
    message: 'This kernel does not run Python (or printed no answer).'
  };
}

/** `%load_ext hfsecure_jupyter` in the kernel, silently. */
export async function enableGuard(kernel: Kernel.IKernelConnection): Promise<void> {
  const result = await runSilently(kernel, '%load_ext hfsecure_jupyter', 30000);
  if (result.reply && result.reply.status === 'error') {
    throw new Error(`${result.reply.ename}: ${result.reply.evalue}`);
  }
}
