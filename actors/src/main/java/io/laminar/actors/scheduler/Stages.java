package io.laminar.actors.scheduler;

import akka.actor.typed.ActorRef;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StageInfo;
import io.laminar.model.exec.LayerRange;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The stages of one model that have joined and described themselves: which layers they host, and
 * the chain of them that covers every layer. Plain bookkeeping; the scheduler does the talking.
 */
final class Stages {
    private final String modelId;
    private final Map<ActorRef<StageActor.Command>, StageInfo> described = new HashMap<>();

    Stages(String modelId) {
        this.modelId = modelId;
    }

    /**
     * Forgets the stages that are no longer listed and returns their names. Instances on
     * unreachable nodes are not listed: a crashed node's stage leaves here too.
     */
    List<String> retain(Set<ActorRef<StageActor.Command>> listed) {
        List<String> left = new ArrayList<>();
        for (Iterator<Map.Entry<ActorRef<StageActor.Command>, StageInfo>> it = described.entrySet().iterator();
             it.hasNext(); ) {
            Map.Entry<ActorRef<StageActor.Command>, StageInfo> e = it.next();
            if (!listed.contains(e.getKey())) {
                left.add(e.getValue().name());
                it.remove();
            }
        }
        return left;
    }

    /** The listed stages that have not described themselves yet. */
    List<ActorRef<StageActor.Command>> undescribed(Set<ActorRef<StageActor.Command>> listed) {
        return listed.stream().filter(ref -> !described.containsKey(ref)).toList();
    }

    void described(StageInfo info) {
        described.put(info.stage(), info);
    }

    /** The stages covering every layer in order (the first by name for each range), if they do. */
    Optional<List<StageInfo>> chain() {
        if (described.isEmpty()) {
            return Optional.empty();
        }
        int total = described.values().iterator().next().totalLayers();
        List<StageInfo> chain = new ArrayList<>();
        int next = 0;
        while (next < total) {
            StageInfo found = null;
            for (StageInfo s : described.values()) {
                if (s.start() == next && (found == null || s.name().compareTo(found.name()) < 0)) {
                    found = s;
                }
            }
            if (found == null) {
                return Optional.empty();
            }
            chain.add(found);
            next = found.end();
        }
        return Optional.of(chain);
    }

    /** The layer ranges the stages host. */
    List<LayerRange> hosted() {
        return described.values().stream().map(s -> new LayerRange(s.start(), s.end())).toList();
    }

    /** Whether stages host every layer of {@code r}. */
    boolean host(LayerRange r) {
        return LayerRange.uncovered(r.end(), hosted()).stream().noneMatch(gap -> gap.end() > r.start());
    }

    /** Which layers no stage hosts, for people. */
    String unhostedLayers() {
        if (described.isEmpty()) {
            return "no stage of model '" + modelId + "' has joined yet";
        }
        int total = described.values().iterator().next().totalLayers();
        StringBuilder sb = new StringBuilder();
        for (LayerRange gap : LayerRange.uncovered(total, hosted())) {
            sb.append(sb.isEmpty() ? "" : ", ").append(gap.size() == 1 ? "" + gap.start() : gap.toString());
        }
        return sb.isEmpty() ? "stages do not chain from layer 0 to " + (total - 1)
                : "layers " + sb + " (of 0-" + (total - 1) + ") are not hosted by any stage";
    }
}
