package io.laminar.app;

import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineHost;
import io.laminar.model.exec.StageBackend;
import io.laminar.model.exec.WarmUpBudget;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A cluster member that comes back by itself: when the cluster downs it (it was unreachable from
 * the scheduler's side: crashed network, paused process, or its {@code serve} crashed) or it leaves
 * a cluster that lost its scheduler ({@link PipelineHost#orphaned}), it starts a new actor system
 * with the same settings, which joins through the seed nodes again as soon as one answers. An Akka
 * member that was removed can never rejoin as itself, so a new incarnation is the only way back.
 * Only {@link #stop} (SIGTERM, Ctrl-C) ends it.
 */
final class RejoiningMember {
    /** Exit status of a member the cluster downed that was told not to rejoin. */
    static final int DOWNED_EXIT_STATUS = 3;
    /** Pause before a new incarnation, so that a node downed again at once does not spin. */
    private static final Duration REJOIN_PAUSE = Duration.ofSeconds(2);

    private final HostSettings settings;
    private final boolean rejoin;
    private final PrintStream out;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile PipelineHost current;

    RejoiningMember(HostSettings settings, boolean rejoin, PrintStream out) {
        this.settings = settings;
        this.rejoin = rejoin;
        this.out = out;
    }

    /**
     * Runs until stopped; returns the process's exit status: 0, or {@link #DOWNED_EXIT_STATUS} when
     * the cluster downed a member that does not rejoin.
     *
     * @param onStart told of each incarnation once it is up
     */
    int run(Consumer<PipelineHost> onStart) throws IOException, InterruptedException {
        for (int incarnation = 1; ; incarnation++) {
            PipelineHost started;
            try {
                started = PipelineHost.start(incarnation == 1 ? settings : again());
            } catch (IOException | RuntimeException e) {
                if (incarnation == 1) {
                    throw e; // a first start that fails is a setting to fix, not a fault to ride out
                }
                out.printf(Locale.ROOT, "laminar node: could not start again (%s); trying again in %d s%n",
                        e.getMessage(), REJOIN_PAUSE.toSeconds());
                out.flush();
                if (stopped.await(REJOIN_PAUSE.toMillis(), TimeUnit.MILLISECONDS)) {
                    return 0;
                }
                continue;
            }
            try (PipelineHost node = started) {
                current = node;
                if (stopped.getCount() == 0) {
                    return 0;
                }
                onStart.accept(node);
                node.system().getWhenTerminated().toCompletableFuture().join();
                if (stopped.getCount() == 0) {
                    return 0;
                }
                String why = node.downedByCluster()
                        ? "the cluster removed this node (unreachable from the side with the scheduler)"
                        : node.orphaned() ? "its cluster had no scheduler any more" : null;
                if (why == null) {
                    return 0; // the actor system was stopped from inside, as a clean stop
                }
                if (!rejoin) {
                    out.println("laminar node: " + why + "; exiting with status " + DOWNED_EXIT_STATUS);
                    return DOWNED_EXIT_STATUS;
                }
                out.printf(Locale.ROOT, "laminar node: %s; joining again in %d s (incarnation %d)%n",
                        why, REJOIN_PAUSE.toSeconds(), incarnation + 1);
                out.flush();
            } finally {
                current = null;
            }
            if (stopped.await(REJOIN_PAUSE.toMillis(), TimeUnit.MILLISECONDS)) {
                return 0;
            }
        }
    }

    /**
     * The settings of a later incarnation: no warm-up where every stage runs on the CPU, whose kernels
     * this JVM has compiled already (a warm-up would only delay the pipeline's return by its budget).
     */
    private HostSettings again() {
        return settings.backends().stream().allMatch(StageBackend.CPU::equals)
                ? settings.withWarmUp(WarmUpBudget.NONE) : settings;
    }

    /** The running incarnation; null while starting, between incarnations and after a stop. */
    PipelineHost current() {
        return current;
    }

    /** The settings every incarnation starts with. */
    HostSettings settings() {
        return settings;
    }

    /** Stops the member for good: the running incarnation leaves the cluster and no other starts. */
    void stop() {
        stopped.countDown();
        PipelineHost node = current;
        if (node != null) {
            // Leaving (not vanishing) lets the scheduler move this node's layers and resume the
            // requests they were serving at once, instead of after failure detection and downing.
            out.println("laminar node: stopping: leaving the cluster");
            out.flush();
            long start = System.nanoTime();
            node.close();
            out.printf(Locale.ROOT, "laminar node: left the cluster and stopped in %.1f s%n", (System.nanoTime() - start) / 1e9);
            out.flush();
        }
    }
}
