package io.laminar.actors.scheduler;

import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;
import io.laminar.actors.stage.StageActor;
import org.slf4j.Logger;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * The stages the receptionist lists, less those on members leaving the cluster. A stage node
 * stopping gracefully leaves the cluster, but the receptionist lists its stages until the member is
 * removed, seconds later; the scheduler treats them as gone as soon as the member starts leaving,
 * so that its requests move to a spare (or wait for a replacement) at once.
 */
final class LeavingMembers {
    private final Address self;
    private final Logger log;
    /** Members that started leaving and have not been removed yet. */
    private final Set<Address> leaving = new HashSet<>();
    /** The stages the receptionist lists now, those of leaving members included. */
    private Set<ActorRef<StageActor.Command>> listed = Set.of();

    private LeavingMembers(Address self, Logger log) {
        this.self = self;
        this.log = log;
    }

    /**
     * Follows the cluster's members for {@code context}, whose adapter turns their events into its
     * commands. Without a cluster (a single process) no member ever leaves.
     */
    static <T> LeavingMembers follow(ActorContext<T> context, Function<ClusterEvent.MemberEvent, T> adapter) {
        if ("cluster".equals(context.getSystem().settings().config().getString("akka.actor.provider"))) {
            Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
                    context.messageAdapter(ClusterEvent.MemberEvent.class, adapter::apply),
                    ClusterEvent.MemberEvent.class));
        }
        return new LeavingMembers(context.getSystem().address(), context.getLog());
    }

    /** The receptionist listed {@code stages}; returns those not on a leaving member. */
    Set<ActorRef<StageActor.Command>> listed(Set<ActorRef<StageActor.Command>> stages) {
        listed = stages;
        return present();
    }

    /**
     * Follows one member event; returns true when a member hosting listed stages began leaving, so
     * that the scheduler should take {@link #present()} as the new listing.
     */
    boolean changed(ClusterEvent.MemberEvent event) {
        Address member = event.member().address();
        if (member.equals(self)) {
            return false; // this process stopping: its gateway has finished already
        }
        if (event instanceof ClusterEvent.MemberLeft || event instanceof ClusterEvent.MemberExited) {
            if (leaving.add(member) && listed.stream().anyMatch(ref -> ref.path().address().equals(member))) {
                log.info("member {} is leaving the cluster: its stages leave the pipeline now", member);
                return true;
            }
        } else if (event instanceof ClusterEvent.MemberRemoved) {
            leaving.remove(member); // a later member at that address is a new incarnation
        }
        return false;
    }

    /** The listed stages on members that are not leaving. */
    Set<ActorRef<StageActor.Command>> present() {
        if (leaving.isEmpty()) {
            return listed;
        }
        Set<ActorRef<StageActor.Command>> kept = new HashSet<>(listed);
        kept.removeIf(ref -> leaving.contains(ref.path().address()));
        return kept;
    }
}
