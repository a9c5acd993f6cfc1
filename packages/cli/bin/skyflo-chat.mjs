#!/usr/bin/env node
// `skyflo chat` as its own executable, for runners that call an agent binary with flags only (k8s-ai-bench's
// --agent-bin): `skyflo-chat --kubeconfig … --model …` is `skyflo chat --kubeconfig … --model …`.
import { register } from 'tsx/esm/api';
register();
const { chat } = await import('../src/chat/chat-command.ts');
await chat(process.argv.slice(2));
