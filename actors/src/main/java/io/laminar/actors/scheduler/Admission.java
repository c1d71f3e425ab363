package io.laminar.actors.scheduler;

import io.laminar.actors.metrics.LaminarMetrics;
import io.laminar.actors.scheduler.PipelineScheduler.Submit;
import io.laminar.actors.scheduler.SequenceEvent.FailureKind;
import io.laminar.model.generate.GenerationEnd;
import io.laminar.model.generate.SequenceProgress;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which requests wait and which run: the waiting queue in arrival order, the ids in progress, and
 * the KV slots and blocks of the pipeline being served. A request is admitted once a slot is free
 * and the blocks it can ever need (prompt plus maximum tokens, within the context) are free on the
 * smallest stage cache, so a running sequence never runs out; one that can never fit is refused.
 *
 * <p>Plain bookkeeping without actors, so that it can be tested alone; the scheduler calls it from
 * its own thread, and the only messages it sends are the events of requests it refuses, cancels or
 * gives up on while they wait. It publishes its queues and blocks to the process's metrics on
 * every change (once per request event, not per step).
 */
final class Admission {
    private final LaminarMetrics metrics;
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final Set<String> inProgress = new HashSet<>();
    /** The running sequences by KV slot; no slots while no pipeline is served. */
    private Sequence[] bySlot = new Sequence[0];
    private int freeBlocks;
    private int totalBlocks;
    private int blockSize = 1;
    private int context;

    Admission(LaminarMetrics metrics) {
        this.metrics = metrics;
    }

    /** The process's metrics, which the pipeline it admits to reports to as well. */
    LaminarMetrics metrics() {
        return metrics;
    }

    /** Fails a request that no pipeline could run ({@code INVALID_REQUEST}); returns whether it is valid. */
    boolean validate(Submit m) {
        if (m.promptIds().length == 0) {
            fail(m, FailureKind.INVALID_REQUEST, "the prompt is empty");
        } else if (m.maxTokens() < 0) {
            fail(m, FailureKind.INVALID_REQUEST, "max_tokens=" + m.maxTokens() + " must be >= 0");
        } else if (m.resumeFrom().length > m.maxTokens()) {
            fail(m, FailureKind.INVALID_REQUEST, "resuming after " + m.resumeFrom().length
                    + " tokens, more than max_tokens=" + m.maxTokens());
        } else if (inProgress.contains(m.requestId())) {
            fail(m, FailureKind.INVALID_REQUEST, "request id '" + m.requestId() + "' is already in progress");
        } else {
            return true;
        }
        return false;
    }

    /** Queues a valid request behind those that arrived before it. */
    void enqueue(Submit m, long nowNanos) {
        inProgress.add(m.requestId());
        waiting.add(new Sequence(m, nowNanos));
        publish();
    }

    /** Refuses ({@code PROMPT_TOO_LONG}) a request the served pipeline can never hold; returns whether it did. */
    boolean refuseIfImpossible(Submit m) {
        if (m.promptIds().length >= context) {
            fail(m, FailureKind.PROMPT_TOO_LONG, "the prompt has " + m.promptIds().length
                    + " tokens but the context holds " + context + " (the prompt and at least one generated token)");
            return true;
        }
        int blocks = blocksFor(m);
        if (blocks > totalBlocks) {
            fail(m, FailureKind.PROMPT_TOO_LONG, "the request needs " + blocks * blockSize
                    + " positions of KV cache but the smallest stage cache holds " + totalBlocks * blockSize);
            return true;
        }
        return false;
    }

    /**
     * Takes the capacity of a pipeline about to be served, every slot and block free, and refuses
     * the waiting requests it can never hold.
     */
    void open(int slots, int kvBlocks, int kvBlockSize, int maxContext) {
        bySlot = new Sequence[slots];
        totalBlocks = kvBlocks;
        freeBlocks = kvBlocks;
        blockSize = kvBlockSize;
        context = maxContext;
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (refuseIfImpossible(s.request)) {
                it.remove();
                inProgress.remove(s.id());
            }
        }
        publish();
    }

    /** Drops the served pipeline's slots; its running sequences must have been failed and forgotten. */
    void close() {
        bySlot = new Sequence[0];
        totalBlocks = 0;
        freeBlocks = 0;
        publish();
    }

    /**
     * Moves the first waiting request into a free slot with its blocks reserved, when both are free,
     * and returns it; null when it must wait (or none waits). Requests are admitted in arrival order.
     */
    Sequence admitNext() {
        Sequence s = waiting.peek();
        if (s == null) {
            return null;
        }
        int slot = freeSlot();
        int blocks = blocksFor(s.request);
        if (slot < 0 || blocks > freeBlocks) {
            return null;
        }
        waiting.poll();
        s.blocks = blocks;
        freeBlocks -= blocks;
        s.progress = new SequenceProgress(s.request.promptIds(), s.request.resumeFrom(), s.request.maxTokens(),
                context);
        s.progress.assignSlot(slot);
        bySlot[slot] = s;
        publish();
        return s;
    }

    /** The running sequence in {@code slot}, or null once it has left. */
    Sequence running(int slot) {
        return bySlot[slot];
    }

    /** KV slots of the served pipeline. */
    int slots() {
        return bySlot.length;
    }

    /** Frees a finished sequence's slot and blocks, and its id for reuse; returns the slot. */
    int release(Sequence s) {
        int slot = s.progress.slot();
        bySlot[slot] = null;
        freeBlocks += s.blocks;
        inProgress.remove(s.id());
        publish();
        return slot;
    }

    /** Frees the id of a running sequence that failed with its pipeline. */
    void forget(Sequence s) {
        inProgress.remove(s.id());
    }

    /** Cancels a waiting request ({@code Finished(CANCELLED)}); returns whether one had that id. */
    boolean cancelWaiting(String requestId) {
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (s.id().equals(requestId)) {
                it.remove();
                inProgress.remove(s.id());
                s.request.replyTo().tell(new SequenceEvent.Finished(s.id(), GenerationEnd.CANCELLED,
                        s.request.promptIds().length, 0, 0, 0));
                publish();
                return true;
            }
        }
        return false;
    }

    /**
     * Fails ({@code PIPELINE_NOT_READY}) the requests that have waited longer than {@code timeout}
     * for a pipeline; {@code why} says what is missing.
     */
    void expire(long nowNanos, Duration timeout, Supplier<String> why) {
        int before = waiting.size();
        for (Iterator<Sequence> it = waiting.iterator(); it.hasNext(); ) {
            Sequence s = it.next();
            if (nowNanos - s.arrivedNanos > timeout.toNanos()) {
                it.remove();
                inProgress.remove(s.id());
                fail(s.request, FailureKind.PIPELINE_NOT_READY, "the pipeline was not ready within "
                        + timeout.toSeconds() + " s: " + why.get());
            }
        }
        if (waiting.size() != before) {
            publish();
        }
    }

    int waiting() {
        return waiting.size();
    }

    /** Sequences holding a KV slot. */
    int running() {
        int n = 0;
        for (Sequence s : bySlot) {
            if (s != null) {
                n++;
            }
        }
        return n;
    }

    private void publish() {
        metrics.scheduler(running(), waiting.size(), totalBlocks - freeBlocks, totalBlocks);
    }

    private int blocksFor(Submit m) {
        long length = Math.min((long) m.promptIds().length + m.maxTokens(), context);
        return (int) ((length + blockSize - 1) / blockSize);
    }

    private int freeSlot() {
        for (int i = 0; i < bySlot.length; i++) {
            if (bySlot[i] == null) {
                return i;
            }
        }
        return -1;
    }

    private static void fail(Submit m, FailureKind kind, String message) {
        m.replyTo().tell(new SequenceEvent.Failed(m.requestId(), kind, message));
    }
}
