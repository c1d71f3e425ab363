package io.laminar.actors;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;

import java.time.Duration;

/**
 * On a member without the scheduler role: notices when its cluster has had no scheduler for a while
 * and then leaves it, so that the member can join again through its seed nodes.
 *
 * <p>A stage whose {@code serve} crashed is downed by the split brain resolver (its side has no
 * scheduler), but one whose {@code serve} stopped cleanly is not: the scheduler left, the stage
 * stays a healthy member of a cluster of stages, and a new {@code serve} forms a new cluster of its
 * own that the stage never hears of. A cluster without a scheduler serves nobody, so after
 * {@code laminar.cluster.orphan-after} the member leaves (a clean leave, by
 * {@link CoordinatedShutdown} with reason {@link Orphaned}) and its process starts it again.
 * Only an orphan that was once in a cluster with a scheduler counts: a member still waiting for its
 * seed nodes is not orphaned, it has not arrived yet.
 */
final class SchedulerWatch {
    /** The {@link CoordinatedShutdown} reason of a member that left a cluster without a scheduler. */
    enum Orphaned implements CoordinatedShutdown.Reason {
        INSTANCE
    }

    private enum Check {
        INSTANCE
    }

    private static final Duration CHECK_EVERY = Duration.ofMillis(500);

    private SchedulerWatch() {
    }

    static Behavior<Check> create(Duration orphanAfter) {
        return Behaviors.setup(context -> {
            context.setLoggerName(SchedulerWatch.class);
            return Behaviors.withTimers(timers -> {
                timers.startTimerWithFixedDelay(Check.INSTANCE, CHECK_EVERY);
                return watching(orphanAfter, false, 0L);
            });
        });
    }

    /**
     * @param seenScheduler whether this member has seen a scheduler in its cluster (counted from the
     *                      moment it joins: a quick scheduler may be leaving by the time this member is up)
     * @param aloneSince    {@link System#nanoTime} when the last scheduler was last seen, 0 while one is there
     */
    private static Behavior<Check> watching(Duration orphanAfter, boolean seenScheduler, long aloneSince) {
        return Behaviors.receive((context, check) -> {
            Cluster cluster = Cluster.get(context.getSystem());
            if (hasScheduler(cluster)) {
                return watching(orphanAfter, true, 0L);
            }
            if (!seenScheduler || cluster.selfMember().status() != MemberStatus.up()) {
                return Behaviors.same();
            }
            long now = System.nanoTime();
            if (aloneSince == 0L) {
                return watching(orphanAfter, true, now);
            }
            if (now - aloneSince < orphanAfter.toNanos()) {
                return Behaviors.same();
            }
            context.getLog().warn("no scheduler in this cluster for {} s (its serve stopped or was replaced):"
                    + " leaving it to join again through the seed nodes", orphanAfter.toSeconds());
            CoordinatedShutdown.get(context.getSystem()).runAll(Orphaned.INSTANCE);
            return Behaviors.stopped();
        });
    }

    private static boolean hasScheduler(Cluster cluster) {
        for (Member m : cluster.state().getMembers()) {
            if (m.hasRole(PipelineHost.SCHEDULER_ROLE)
                    && (m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp()
                    || m.status() == MemberStatus.joining())) {
                return true;
            }
        }
        return false;
    }
}
