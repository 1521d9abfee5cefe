import { useCallback, useEffect, useState } from 'react';
import type { JobDetail, JobStepView, JobView } from '../../protocol/support-events';
import { useSupportEvent, useSupportSocket } from './support-socket';

/** A job and its steps, kept live: steps arrive once each, in sequence order, whatever the socket does. */
export function useLiveJob(initial: JobDetail): JobDetail {
  const [detail, setDetail] = useState(initial);
  const { socket, live } = useSupportSocket();
  const jobId = initial.job.jobId;

  useEffect(() => setDetail(initial), [initial]);

  useEffect(() => {
    if (!socket || !live) return;
    // (Re)joining the job's room also returns everything stored so far, which closes any gap.
    void socket
      .timeout(10_000)
      .emitWithAck('support:watch-job', { jobId })
      .then((answer) => {
        if ('job' in answer)
          setDetail((current) => mergeSteps({ ...current, job: answer.job }, answer.steps));
      })
      .catch(() => {});
    return () => {
      socket.emit('support:unwatch-job', { jobId });
    };
  }, [socket, live, jobId]);

  useSupportEvent(
    'job:step',
    useCallback(
      (step: JobStepView) => {
        if (step.jobId === jobId) setDetail((current) => mergeSteps(current, [step]));
      },
      [jobId],
    ),
  );
  useSupportEvent(
    'job:updated',
    useCallback(
      (job: JobView) => {
        if (job.jobId === jobId) setDetail((current) => ({ ...current, job }));
      },
      [jobId],
    ),
  );
  return detail;
}

function mergeSteps(detail: JobDetail, incoming: JobStepView[]): JobDetail {
  const bySequence = new Map(detail.steps.map((step) => [step.sequence, step]));
  for (const step of incoming) bySequence.set(step.sequence, step);
  return { ...detail, steps: [...bySequence.values()].sort((a, b) => a.sequence - b.sequence) };
}

/** Plays finished steps back with the gaps they had, each gap at most `maxGapMs`. */
export function useReplay(steps: JobStepView[], maxGapMs = 2_000) {
  const [shown, setShown] = useState<number | null>(null);
  useEffect(() => {
    if (shown === null || shown >= steps.length) return;
    const gap = shown === 0 ? 0 : Math.min(maxGapMs, steps[shown]!.at - steps[shown - 1]!.at);
    const timer = setTimeout(() => setShown(shown + 1), gap);
    return () => clearTimeout(timer);
  }, [shown, steps, maxGapMs]);
  const replaying = shown !== null && shown < steps.length;
  return {
    visibleSteps: shown === null ? steps : steps.slice(0, shown),
    replaying,
    start: () => setShown(0),
  };
}
