package io.laminar.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that help the calling thread through one job at a time.
 *
 * <p>Contract: {@link #run} splits a job into {@code parts} and returns when every part has run,
 * once, on the caller or on a worker; writes made by any part are visible to the caller afterwards.
 * One caller at a time. The first exception a part throws is rethrown by {@link #run} once all parts
 * have run, with those of any other failed parts suppressed in it.
 *
 * <p>Parts are handed out one at a time from a shared counter, and the caller takes them too. So
 * the caller waits only for parts that a worker has already started: a worker that has not woken
 * up yet, or whose core another thread holds (the Kafka broker and the actors share the machine
 * with the kernels), finds nothing left when it comes and costs the job nothing. The counter
 * carries the job's generation (modulo 2^32) in its high half, so that a worker arriving late can
 * only claim a part of the job it was woken for, never one of a later job.
 *
 * <p>Idle workers spin for {@link #SPIN_NANOS} after their last job, so that the next matmul of a
 * forward pass (tens of microseconds later) starts without a wake-up, then park. Dispatch costs a
 * volatile write and, for parked workers only, an unpark.
 */
final class WorkerPool implements AutoCloseable {
    /** How long an idle worker spins before parking. */
    static final long SPIN_NANOS = 200_000;
    /** How long the caller spins waiting for workers before it starts yielding its core to them. */
    static final long CALLER_SPIN_NANOS = 50_000;

    @FunctionalInterface
    interface Task {
        /** Runs part {@code part} of the job. */
        void run(int part);
    }

    private final Worker[] workers;
    /** The current job's generation (high 32 bits) and its next unclaimed part (low 32 bits). */
    private final AtomicLong claims = new AtomicLong();
    /** Parts of the current job that have run. */
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile long generation;
    private volatile Task current;
    private volatile int parts;
    private volatile boolean closed;

    WorkerPool(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads=" + threads + " must be at least 1");
        }
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = Thread.ofPlatform().daemon().name(name + "-" + (i + 1)).unstarted(workers[i]);
            workers[i].thread = t;
            t.start();
        }
    }

    int threads() {
        return workers.length + 1;
    }

    /** Runs {@code task} for every part in {@code [0, parts)} and waits for all of them. */
    void run(int parts, Task task) {
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        if (workers.length == 0 || parts <= 1) {
            for (int p = 0; p < parts; p++) {
                task.run(p);
            }
            return;
        }
        long g = generation + 1;
        // Close the counter before touching the job's fields: a worker still holding the previous
        // job's counter value must fail its claim, not take a part of this job with the old index.
        claims.set(g << 32 | Integer.MAX_VALUE);
        current = task;
        this.parts = parts;
        done.set(0);
        claims.set(g << 32);
        generation = g;
        for (Worker w : workers) {
            if (w.parked) {
                LockSupport.unpark(w.thread);
            }
        }
        work(g);
        awaitParts(parts);
        current = null;
        Throwable t = failure.getAndSet(null);
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Claims and runs parts of job {@code g} until none is left. A claim made while the counter still
     * holds generation {@code g} keeps that job open (its parts are not all done) until the part has
     * run, so {@link #current} and {@link #parts} read after a successful claim are that job's.
     */
    private void work(long g) {
        while (true) {
            long c = claims.get();
            int p = (int) c;
            if ((int) (c >>> 32) != (int) g || p >= parts) {
                return;
            }
            if (!claims.compareAndSet(c, c + 1)) {
                continue;
            }
            try {
                current.run(p);
            } catch (Throwable t) {
                if (!failure.compareAndSet(null, t)) {
                    failure.get().addSuppressed(t); // synchronized in Throwable: parts may fail at once
                }
            } finally {
                done.incrementAndGet();
            }
        }
    }

    private void awaitParts(int parts) {
        if (done.get() == parts) {
            return;
        }
        long start = System.nanoTime();
        int spins = 0;
        while (done.get() != parts) {
            if ((++spins & 255) == 0 && System.nanoTime() - start > CALLER_SPIN_NANOS) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
        for (Worker w : workers) {
            try {
                w.thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private final class Worker implements Runnable {
        Thread thread;
        volatile boolean parked;

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long g = awaitJob(seen);
                if (g < 0) {
                    return;
                }
                seen = g;
                work(g);
            }
        }

        /** The next job's generation, or -1 once the pool is closed. */
        private long awaitJob(long seen) {
            long idleSince = System.nanoTime();
            int spins = 0;
            while (true) {
                long g = generation;
                if (g != seen) {
                    return g;
                }
                if (closed) {
                    return -1;
                }
                if ((++spins & 63) != 0 || System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                if (generation == seen && !closed) {
                    LockSupport.park(this);
                }
                parked = false;
            }
        }
    }
}
