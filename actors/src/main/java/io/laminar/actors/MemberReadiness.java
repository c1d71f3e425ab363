package io.laminar.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.stage.StageActor;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Whether a cluster member should get work now, for its readiness probe. A member that runs the
 * scheduler is ready when its pipeline is whole (every layer hosted by a registered stage). A
 * stage member is ready when it is Up in the cluster, every stage it hosts has warmed up and
 * registered (a node placed by memory budget: at least one has), and a scheduler of its model is
 * in the cluster to use them. A member with both roles must be both.
 */
public final class MemberReadiness {
    /** @param detail what is ready or missing, for people */
    public record Result(boolean ready, String detail) {
    }

    private MemberReadiness() {
    }

    /**
     * @param host     the member's running incarnation
     * @param settings what it was started to host
     * @param timeout  how long to wait for the scheduler or the receptionist
     */
    public static CompletionStage<Result> of(PipelineHost host, HostSettings settings, Duration timeout) {
        ActorSystem<?> system = host.system();
        MemberStatus status = Cluster.get(system).selfMember().status();
        if (status != MemberStatus.up()) {
            return CompletableFuture.completedFuture(new Result(false, "cluster member is " + status
                    + ", not Up yet (joining " + seeds(settings) + ")"));
        }
        CompletionStage<Result> scheduler = host.scheduler() == null
                ? CompletableFuture.completedFuture(null)
                : host.status().handle((s, failure) -> failure != null
                        ? new Result(false, "the scheduler did not answer: " + failure.getMessage())
                        : new Result(s.ready(), (s.ready() ? "pipeline ready: " : "pipeline not ready: ") + s.detail()));
        boolean hostsStages = !settings.hosting().stages().isEmpty() || settings.hosting().memoryBudgetBytes() > 0;
        CompletionStage<Result> stages = hostsStages ? stages(host, settings, timeout)
                : CompletableFuture.completedFuture(null);
        return scheduler.thenCombine(stages, MemberReadiness::both);
    }

    private static Result both(Result scheduler, Result stages) {
        if (scheduler == null) {
            return stages != null ? stages : new Result(true, "cluster member is Up");
        }
        if (stages == null) {
            return scheduler;
        }
        return new Result(scheduler.ready() && stages.ready(), stages.detail() + "; " + scheduler.detail());
    }

    private static CompletionStage<Result> stages(PipelineHost host, HostSettings settings, Duration timeout) {
        ActorSystem<?> system = host.system();
        var stageKey = StageActor.serviceKey(settings.modelId());
        var schedulerKey = PipelineScheduler.serviceKey(settings.modelId());
        CompletionStage<Receptionist.Listing> stages = AskPattern.ask(system.receptionist(),
                replyTo -> Receptionist.find(stageKey, replyTo), timeout, system.scheduler());
        CompletionStage<Receptionist.Listing> schedulers = AskPattern.ask(system.receptionist(),
                replyTo -> Receptionist.find(schedulerKey, replyTo), timeout, system.scheduler());
        return stages.thenCombine(schedulers, (st, sc) -> {
            Set<ActorRef<StageActor.Command>> listed = st.getServiceInstances(stageKey);
            List<ActorRef<StageActor.Command>> local = listed.stream()
                    .filter(ref -> ref.path().address().hasLocalScope()).toList();
            int expected = settings.hosting().stages().size();
            boolean stagesReady = expected > 0 ? local.containsAll(host.stages()) : !local.isEmpty();
            String stagesDetail = expected > 0
                    ? local.size() + " of " + expected + " stages registered"
                    + (stagesReady ? "" : " (the others load or warm up)")
                    : local.isEmpty() ? "no stage placed on this node yet (memory budget offered)"
                    : local.size() + " placed stages registered";
            boolean schedulerFound = !sc.getServiceInstances(schedulerKey).isEmpty();
            String schedulerDetail = schedulerFound ? "a scheduler of model '" + settings.modelId() + "' is in the cluster"
                    : "no scheduler of model '" + settings.modelId() + "' in the cluster";
            return new Result(stagesReady && schedulerFound, stagesDetail + ", " + schedulerDetail);
        }).exceptionally(failure -> new Result(false, "the receptionist did not answer: " + failure.getMessage()));
    }

    private static String seeds(HostSettings settings) {
        List<String> seeds = settings.network().seedNodes();
        return seeds.isEmpty() ? "itself" : String.join(",", seeds);
    }
}
