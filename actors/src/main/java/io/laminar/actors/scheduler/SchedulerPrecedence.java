package io.laminar.actors.scheduler;

import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.Member;
import akka.cluster.typed.Cluster;

import java.util.Collection;
import java.util.Optional;

/**
 * Which of several schedulers of one model serves: the one on the oldest cluster member. The others
 * stand by, since two schedulers driving the same stages would hand out the same KV slots. Age,
 * not address, decides, so that a scheduler started by mistake never displaces a running one; and
 * every member, clients included, reaches the same answer from its own view of the cluster.
 */
final class SchedulerPrecedence {
    private SchedulerPrecedence() {
    }

    /** The serving scheduler among {@code schedulers}: the one on the oldest member that is up. */
    static <T> Optional<ActorRef<T>> serving(ActorSystem<?> system, Collection<ActorRef<T>> schedulers) {
        ActorRef<T> best = null;
        Member bestMember = null;
        for (ActorRef<T> ref : schedulers) {
            Member m = memberOf(system, ref);
            if (best == null || olderThan(m, bestMember)
                    || (!olderThan(bestMember, m) && ref.path().toString().compareTo(best.path().toString()) < 0)) {
                best = ref;
                bestMember = m;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Whether member {@code a} is older than {@code b}; a member not up yet is younger than any that is. */
    private static boolean olderThan(Member a, Member b) {
        if (a == null) {
            return false;
        }
        if (b == null) {
            return true;
        }
        return a.isOlderThan(b);
    }

    private static Member memberOf(ActorSystem<?> system, ActorRef<?> ref) {
        Cluster cluster = Cluster.get(system);
        Address address = ref.path().address().hasLocalScope() ? cluster.selfMember().address() : ref.path().address();
        for (Member m : cluster.state().getMembers()) {
            if (m.address().equals(address) && (m.status() == akka.cluster.MemberStatus.up()
                    || m.status() == akka.cluster.MemberStatus.leaving())) {
                return m;
            }
        }
        return null;
    }
}
