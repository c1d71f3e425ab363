package io.laminar.actors.scheduler;

import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.receptionist.Receptionist;
import io.laminar.actors.placement.PlacementAgent;
import io.laminar.actors.scheduler.PipelineScheduler.Command;
import io.laminar.actors.stage.StageActor;

import java.util.Set;

/**
 * What a model's scheduler follows in the receptionist: the model's stages, the nodes offering
 * memory for its layers, and its schedulers (itself included), each listing turned into a command.
 */
final class Listings {
    private Listings() {
    }

    /** A listing of this model's stages, less those on members leaving the cluster. */
    record StagesListed(Set<ActorRef<StageActor.Command>> stages) implements Command {
    }

    /** Nodes offering memory for placement. */
    record AgentsListed(Set<ActorRef<PlacementAgent.Command>> agents) implements Command {
    }

    /** This model's schedulers, this one included. */
    record SchedulersListed(Set<ActorRef<Command>> schedulers) implements Command {
    }

    /** Registers {@code context}'s scheduler of {@code modelId} and subscribes it to the three listings. */
    static void follow(ActorContext<Command> context, String modelId, LeavingMembers members) {
        // One adapter per message class: the three subscriptions' listings are told apart by key.
        ActorRef<Receptionist.Listing> adapter = context.messageAdapter(Receptionist.Listing.class,
                listing -> command(listing, modelId, members));
        ActorRef<Receptionist.Command> receptionist = context.getSystem().receptionist();
        receptionist.tell(Receptionist.subscribe(StageActor.serviceKey(modelId), adapter));
        receptionist.tell(Receptionist.subscribe(PlacementAgent.serviceKey(modelId), adapter));
        receptionist.tell(Receptionist.register(PipelineScheduler.serviceKey(modelId), context.getSelf()));
        receptionist.tell(Receptionist.subscribe(PipelineScheduler.serviceKey(modelId), adapter));
    }

    private static Command command(Receptionist.Listing listing, String modelId, LeavingMembers members) {
        if (listing.isForKey(PlacementAgent.serviceKey(modelId))) {
            return new AgentsListed(listing.getServiceInstances(PlacementAgent.serviceKey(modelId)));
        }
        if (listing.isForKey(PipelineScheduler.serviceKey(modelId))) {
            return new SchedulersListed(listing.getServiceInstances(PipelineScheduler.serviceKey(modelId)));
        }
        return new StagesListed(members.listed(listing.getServiceInstances(StageActor.serviceKey(modelId))));
    }
}
