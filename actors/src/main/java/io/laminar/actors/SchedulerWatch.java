package io.laminar.actors;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ClusterEvent;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;

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
 * seed nodes is not orphaned, it has not arrived yet. A member counts as orphaned whatever its own
 * status: one whose scheduler left while it was still Joining never becomes Up in a cluster that
 * has no leader left to move it.
 */
final class SchedulerWatch {
    /** The {@link CoordinatedShutdown} reason of a member that left a cluster without a scheduler. */
    enum Orphaned implements CoordinatedShutdown.Reason {
        INSTANCE
    }

    /**
     * A tick of the check, or a membership event about a scheduler: a scheduler that joined and left
     * between two ticks (a quick stop just after this member joined) still counts as seen.
     */
    private enum Signal {
        CHECK, SCHEDULER_EVENT
    }

    private static final Duration CHECK_EVERY = Duration.ofMillis(500);
    private static final Duration JOINING_AT_MOST = Duration.ofSeconds(10);

    private SchedulerWatch() {
    }

    static Behavior<Signal> create(Duration orphanAfter) {
        return Behaviors.setup(context -> {
            context.setLoggerName(SchedulerWatch.class);
            ActorRef<ClusterEvent.MemberEvent> events = context.messageAdapter(ClusterEvent.MemberEvent.class,
                    e -> e.member().hasRole(PipelineHost.SCHEDULER_ROLE) ? Signal.SCHEDULER_EVENT : Signal.CHECK);
            Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(events, ClusterEvent.MemberEvent.class));
            return Behaviors.withTimers(timers -> {
                timers.startTimerWithFixedDelay(Signal.CHECK, CHECK_EVERY);
                return watching(orphanAfter, 0L, 0L);
            });
        });
    }

    /**
     * @param seenSince  {@link System#nanoTime} when this member first saw a scheduler in its cluster
     *                   (counted from the moment it joins: a quick scheduler may be leaving by the time
     *                   this member is up), 0 before that
     * @param aloneSince {@link System#nanoTime} since when no scheduler has been there, 0 while one is
     */
    private static Behavior<Signal> watching(Duration orphanAfter, long seenSince, long aloneSince) {
        return Behaviors.receive((context, signal) -> {
            Cluster cluster = Cluster.get(context.getSystem());
            long now = System.nanoTime();
            boolean present = hasScheduler(cluster);
            if (seenSince == 0L) {
                return present || signal == Signal.SCHEDULER_EVENT ? watching(orphanAfter, now, 0L) : Behaviors.same();
            }
            if (present && !stuckJoining(cluster, now - seenSince)) {
                return aloneSince == 0L ? Behaviors.same() : watching(orphanAfter, seenSince, 0L);
            }
            if (aloneSince == 0L) {
                return watching(orphanAfter, seenSince, now);
            }
            if (now - aloneSince < orphanAfter.toNanos()) {
                return Behaviors.same();
            }
            context.getLog().warn("no scheduler in this cluster for {} s (its serve stopped or was replaced;"
                    + " this member is {}): leaving it to join again through the seed nodes",
                    orphanAfter.toSeconds(), cluster.selfMember().status());
            CoordinatedShutdown.get(context.getSystem()).runAll(Orphaned.INSTANCE);
            return Behaviors.stopped();
        });
    }

    /**
     * Whether this member is still Joining long after it saw a scheduler: the scheduler's side moves
     * a joining member Up within a few gossip rounds (WeaklyUp after a second while another member
     * is unreachable), so one still Joining after {@link #JOINING_AT_MOST} missed the gossip that
     * would have made it Up, typically because its scheduler left just then. Such a member has no
     * failure detector on the others and would wait in that state for good.
     */
    private static boolean stuckJoining(Cluster cluster, long sinceSeenNanos) {
        return cluster.selfMember().status() == MemberStatus.joining() && sinceSeenNanos > JOINING_AT_MOST.toNanos();
    }

    /**
     * A scheduler that is, or is becoming, a member. One that is unreachable counts: whether it
     * crashed or is only out of reach for a while is the split brain resolver's call (which downs
     * the side without a scheduler after its stable-after), not this watch's.
     */
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
