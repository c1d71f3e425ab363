package io.laminar.actors.placement;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import io.laminar.actors.PipelineMessage;
import io.laminar.actors.StageFactory;
import io.laminar.actors.placement.PlacementPlan.ModelFootprint;
import io.laminar.model.exec.LayerRange;

/**
 * Offers a node's memory budget to the scheduler's placement plan and, when assigned a layer
 * range, maps those layers and starts their stage with the rest of the budget as KV cache.
 */
public final class PlacementAgent {
    /** Messages a placement agent receives. */
    public interface Command {
    }

    /** Ask for this node's offer. */
    public record GetOffer(ActorRef<Offer> replyTo) implements Command, PipelineMessage {
    }

    /** Host these layers. */
    public record Assign(int start, int end) implements Command, PipelineMessage {
    }

    /**
     * A node's offer.
     *
     * @param agent       where to send the assignment
     * @param name        the node's address, which orders the plan
     * @param budgetBytes memory for weights and KV cache
     */
    public record Offer(ActorRef<Command> agent, String name, long budgetBytes) implements PipelineMessage {
    }

    public static ServiceKey<Command> serviceKey(String modelId) {
        return ServiceKey.create(Command.class, "laminar-placement-" + modelId);
    }

    private PlacementAgent() {
    }

    public static Behavior<Command> create(String modelId, long budgetBytes, StageFactory stages,
                                           ModelFootprint footprint) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(serviceKey(modelId), ctx.getSelf()));
            String name = ctx.getSystem().address().hostPort();
            return Behaviors.receive(Command.class)
                    .onMessage(GetOffer.class, m -> {
                        m.replyTo().tell(new Offer(ctx.getSelf(), name, budgetBytes));
                        return Behaviors.same();
                    })
                    .onMessage(Assign.class, m -> {
                        LayerRange range = new LayerRange(m.start(), m.end());
                        long kvBytes = budgetBytes - footprint.bytesOf(range);
                        ctx.getLog().info("placement: hosting layers {} with {} MiB of KV cache", range, kvBytes >> 20);
                        stages.spawn(range, kvBytes);
                        // One assignment per node: later offers of this node are moot.
                        ctx.getSystem().receptionist().tell(Receptionist.deregister(serviceKey(modelId), ctx.getSelf()));
                        return Behaviors.ignore();
                    })
                    .build();
        });
    }
}
