package io.laminar.actors;

import io.laminar.kernels.CpuKernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The thread that drives this process's kernels. Stage actors never compute on an actor thread:
 * they hand each step to this thread and receive the result as a message. Stages of one process
 * share one, so their steps take turns on the machine's cores rather than oversubscribing them.
 */
public final class ComputeThread implements AutoCloseable {
    private final CpuKernels kernels;
    private final ExecutorService executor;

    /**
     * @param threads   worker threads of the kernel pool
     * @param maxTokens the most tokens a step carries
     * @param maxCols   the widest matrix input of any hosted layer
     */
    public ComputeThread(int threads, int maxTokens, int maxCols) {
        this.kernels = new CpuKernels(threads, maxTokens, maxCols);
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "laminar-compute");
            t.setDaemon(true);
            return t;
        });
    }

    public CpuKernels kernels() {
        return kernels;
    }

    public ExecutorService executor() {
        return executor;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        kernels.close();
    }
}
