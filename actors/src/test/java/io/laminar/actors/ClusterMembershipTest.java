package io.laminar.actors;

import akka.cluster.typed.Cluster;
import akka.cluster.typed.Down;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Members' cluster roles, which the split brain resolver counts, and how a member learns it was downed. */
class ClusterMembershipTest {
    @Test
    void rolesFollowWhatAMemberHostsAndADownedMemberKnowsIt() throws Exception {
        Path model = TestData.stories260K();
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
