package io.laminar.actors;

import akka.cluster.typed.Cluster;
import akka.cluster.typed.Down;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.testing.TestModels;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Members' cluster roles, which the split brain resolver counts, and how a member learns it was downed. */
class ClusterMembershipTest {
    @Test
    void rolesFollowWhatAMemberHostsAndADownedMemberKnowsIt() throws Exception {
        Path model = TestModels.storiesSized();
        HostSettings scheduler = HostSettings.local(model, List.of(new LayerRange(0, 3)), 1).withBatch(8, 2, 64);
        try (PipelineHost host = PipelineHost.start(scheduler)) {
            HostSettings joining = scheduler.withNetwork("127.0.0.1", 0, List.of("127.0.0.1:" + host.port()));
            try (PipelineHost stage = PipelineHost.start(joining.hosting(List.of(new LayerRange(3, 5)), false));
                 PipelineHost client = PipelineHost.start(joining.asClient())) {
                assertEquals(Set.of("scheduler", "stage"), roles(host));
                assertEquals(Set.of("stage"), roles(stage));
                assertEquals(Set.of("client"), roles(client));
                awaitMembers(host, 3);

                Cluster.get(host.system()).manager().tell(new Down(Cluster.get(stage.system()).selfMember().address()));
                stage.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertTrue(stage.downedByCluster());
                assertFalse(host.downedByCluster());
                awaitMembers(host, 2);
            }
        }
    }

    /**
     * Two schedulers of one model: the one on the older member serves, the other stands by (it says
     * so, and its requests fail with that reason instead of sharing the stages' KV slots), and takes
     * over when the first leaves. Clients that look the scheduler up find the serving one.
     */
    @Test
    void aSecondSchedulerOfAModelStandsByAndTakesOverWhenTheFirstLeaves() throws Exception {
        Path model = TestModels.storiesSized();
        int[] prompt = {1, 403, 407, 261, 378};
        int[] expected = SoloRuns.greedy(model, new int[][] {prompt}, new int[] {12}, 64)[0];
        HostSettings stages = HostSettings.local(model, List.of(new LayerRange(0, 5)), 1).withBatch(8, 2, 64)
                .hosting(List.of(new LayerRange(0, 5)), false);
        try (PipelineHost stageHost = PipelineHost.start(stages)) {
            HostSettings joining = stages.withNetwork("127.0.0.1", 0, List.of("127.0.0.1:" + stageHost.port()))
                    .withScheduling(0, Duration.ofSeconds(2));
            PipelineHost first = PipelineHost.start(joining.hosting(List.of(), true));
            new PipelineClient(first.system(), first.scheduler()).awaitReady(Duration.ofSeconds(30));
            awaitMembers(stageHost, 2);
            try (PipelineHost second = PipelineHost.start(joining.hosting(List.of(), true))) {
                awaitMembers(stageHost, 3);
                PipelineClient standby = new PipelineClient(second.system(), second.scheduler());
                PipelineScheduler.Status status = standby.awaitStatus(st -> st.detail().contains("stands by"), "standing by",
                        Duration.ofSeconds(30));
                assertFalse(status.ready(), status.toString());
                assertTrue(status.detail().contains(String.valueOf(first.port())), status.detail());
                EventCollector refused = new EventCollector(second.system());
                second.scheduler().tell(new PipelineScheduler.Submit("refused", prompt, 12, SamplingParams.greedy(),
                        refused.ref));
                SequenceEvent.Failed f = assertInstanceOf(SequenceEvent.Failed.class,
                        refused.end.get(30, TimeUnit.SECONDS));
                assertEquals(SequenceEvent.FailureKind.PIPELINE_NOT_READY, f.kind());
                assertTrue(f.message().contains("stands by"), f.message());

                PipelineClient found = PipelineClient.find(second.system(), joining.modelId(), Duration.ofSeconds(10))
                        .toCompletableFuture().get(20, TimeUnit.SECONDS);
                assertEquals(first.port(), found.scheduler().path().address().getPort().orElse(-1));
                assertArrayEquals(expected, run(first, prompt, "served"));

                first.close();
                standby.awaitReady(Duration.ofSeconds(60));
                assertArrayEquals(expected, run(second, prompt, "taken-over"));
            } finally {
                first.close();
            }
        }
    }

    private static int[] run(PipelineHost host, int[] prompt, String id) throws Exception {
        EventCollector c = new EventCollector(host.system());
        host.scheduler().tell(new PipelineScheduler.Submit(id, prompt, 12, SamplingParams.greedy(), c.ref));
        SequenceEvent end = c.end.get(30, TimeUnit.SECONDS);
        assertInstanceOf(SequenceEvent.Finished.class, end, end.toString());
        return c.tokens();
    }

    /** Waits until {@code h} sees exactly {@code n} members, all Up. */
    private static void awaitMembers(PipelineHost h, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(h.clusterMembers().size() == n && h.clusterMembers().stream().allMatch(m -> m.endsWith(" Up")))
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(n, h.clusterMembers().size(), h.clusterMembers().toString());
        assertTrue(h.clusterMembers().stream().allMatch(m -> m.endsWith(" Up")), h.clusterMembers().toString());
    }

    private static Set<String> roles(PipelineHost h) {
        Set<String> roles = new java.util.HashSet<>(Cluster.get(h.system()).selfMember().getRoles());
        roles.removeIf(r -> r.startsWith("dc-"));
        return roles;
    }
}
