package io.laminar.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that run one task at a time together with the calling thread.
 *
 * <p>Contract: {@link #run} hands {@code task} to the {@code threads - 1} workers (indices 1..n-1),
 * runs index 0 on the caller, and returns when all have finished; writes made by any of them are
 * visible to the caller afterwards. One caller at a time. A worker's exception is rethrown by
 * {@link #run} once all have finished.
 *
 * <p>Idle workers spin for {@link #SPIN_NANOS} after their last task, so that the next matmul of a
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
        /** Runs the share of worker {@code index} (0 is the caller). */
        void run(int index);
    }

    private final Worker[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile long generation;
    private volatile Task current;
    private volatile boolean closed;

    WorkerPool(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads=" + threads + " must be at least 1");
        }
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            Thread t = Thread.ofPlatform().daemon().name(name + "-" + (i + 1)).unstarted(workers[i]);
            workers[i].thread = t;
            t.start();
        }
    }

    int threads() {
        return workers.length + 1;
    }

    void run(Task task) {
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        if (workers.length == 0) {
            task.run(0);
            return;
        }
        current = task;
        pending.set(workers.length);
        generation = generation + 1;
        for (Worker w : workers) {
            if (w.parked) {
                LockSupport.unpark(w.thread);
            }
        }
        Throwable mine = null;
        try {
            task.run(0);
        } catch (Throwable t) {
            mine = t;
        }
        awaitWorkers();
        current = null;
        Throwable theirs = failure.getAndSet(null);
        if (mine == null) {
            mine = theirs;
        } else if (theirs != null) {
            mine.addSuppressed(theirs);
        }
        if (mine instanceof RuntimeException e) {
            throw e;
        }
        if (mine instanceof Error e) {
            throw e;
        }
        if (mine != null) {
            throw new IllegalStateException(mine);
        }
    }

    private void awaitWorkers() {
        if (pending.get() == 0) {
            return;
        }
        long start = System.nanoTime();
        int spins = 0;
        while (pending.get() != 0) {
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
        final int index;
        Thread thread;
        volatile boolean parked;

        Worker(int index) {
            this.index = index;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long g = awaitTask(seen);
                if (g < 0) {
                    return;
                }
                seen = g;
                try {
                    current.run(index);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    pending.decrementAndGet();
                }
            }
        }

        /** The next generation, or -1 once the pool is closed. */
        private long awaitTask(long seen) {
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
