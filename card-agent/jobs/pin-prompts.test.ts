import { describe, expect, it } from 'vitest';
import { PinPrompts } from './pin-prompts';

describe('the new-PIN prompt', () => {
  it("refuses the card's previous code where the job knows it, and keeps the prompt open", async () => {
    const prompts = new PinPrompts();
    const answer = prompts.askNewPin({ jobId: 'job', previousPin: '30571946' }, new AbortController().signal);
    const { promptId } = prompts.current()!;
    expect(prompts.submitNewPin(promptId, '30571946', '30571946')).toBe('pin_same_as_previous');
    expect(prompts.current()).toMatchObject({ promptId, problem: 'pin_same_as_previous' });
    expect(JSON.stringify(prompts.current())).not.toContain('30571946');
    expect(prompts.submitNewPin(promptId, '30571947', '30571947')).toBe('accepted');
    expect(await answer).toBe('30571947');
  });

  it('checks the policy before comparing the two fields', () => {
    const prompts = new PinPrompts();
    prompts.askNewPin({ jobId: 'job' }, new AbortController().signal).catch(() => {});
    const { promptId } = prompts.current()!;
    expect(prompts.submitNewPin(promptId, '111111', '111112')).toBe('pin_all_same');
    expect(prompts.submitNewPin(promptId, '135790', '135791')).toBe('new_pin_mismatch');
  });
});
