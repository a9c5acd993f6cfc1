import * as Dialog from '@radix-ui/react-dialog';
import type { ReactNode } from 'react';
import { Button } from './ui.tsx';

/** A Radix dialog asking to confirm a destructive action (focus trapped, Escape cancels). */
export function ConfirmDialog(props: { open: boolean; onOpenChange(open: boolean): void; title: string; description: ReactNode; confirmLabel: string; onConfirm(): void; busy?: boolean }) {
  return (
    <Dialog.Root open={props.open} onOpenChange={props.onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/50" />
        <Dialog.Content className="fixed left-1/2 top-1/3 z-50 w-[min(92vw,420px)] -translate-x-1/2 rounded-lg border border-border bg-panel p-5 shadow-xl">
          <Dialog.Title className="text-base font-semibold">{props.title}</Dialog.Title>
          <Dialog.Description className="mt-2 text-sm text-muted">{props.description}</Dialog.Description>
          <div className="mt-5 flex justify-end gap-2">
            <Dialog.Close asChild>
              <Button>Cancel</Button>
            </Dialog.Close>
            <Button variant="danger" disabled={props.busy} onClick={props.onConfirm}>
              {props.confirmLabel}
            </Button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
