package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.Position;
import io.pgflash.core.Row;
import io.pgflash.core.SnapshotNotice;
import io.pgflash.core.SnapshotProgress;
import io.pgflash.core.StreamGap;
import io.pgflash.core.TableName;
import io.pgflash.spring.listener.PgChangeListenerGap;
import io.pgflash.spring.listener.PgChangeListenerSnapshot;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** The cache starts from a snapshot, and a gap makes it read the table again, dropping what was deleted meanwhile. */
@EmbeddedSampleApp
class PostCacheTest {

    @Autowired
    PostCache cache;

    @Autowired
    BlogRepository repository;

    @Autowired
    PgFlash flash;

    @Test
    void theCacheIsLoadedByASnapshotAndReadAgainAfterAGap() {
        long id = repository.insertPost("Cached", "", "draft");
        await().until(() -> cache.newest(cache.size()).stream().anyMatch(post -> post.id() == id));
        assertThat(snapshot().running()).isFalse();
        Instant first = snapshot().startedAt();

        cache.onGap(new PgChangeListenerGap(PostCache.LISTENER,
                new StreamGap("the listening connection was lost", Instant.now())));

        await().until(() -> snapshot().startedAt().isAfter(first) && !snapshot().running());
        assertThat(snapshot().failure()).isNull();
        assertThat(snapshot().rowsDelivered()).isPositive();
    }

    @Test
    void postsThatASnapshotAfterAGapDoesNotBringBackAreRemovedWhenItCompletes() {
        PostCache alone = new PostCache(null);
        alone.onChange(event(Operation.INSERT, 1), post(1));
        alone.onChange(event(Operation.INSERT, 2), post(2)); // deleted while events were missed

        alone.onSnapshot(notice(SnapshotNotice.Phase.STARTED));
        alone.onChange(event(Operation.READ, 1), post(1));
        alone.onChange(event(Operation.INSERT, 3), post(3)); // written during the snapshot
        assertThat(alone.newest(10)).extracting(Post::id).containsExactly(3L, 2L, 1L);
        alone.onSnapshot(notice(SnapshotNotice.Phase.COMPLETED));

        assertThat(alone.newest(10)).extracting(Post::id).containsExactly(3L, 1L);
    }

    private SnapshotProgress snapshot() {
        return flash.snapshots().stream().filter(progress -> progress.subscriptionId().equals(PostCache.LISTENER))
                .findFirst().orElseThrow();
    }

    private static PgChangeListenerSnapshot notice(SnapshotNotice.Phase phase) {
        return new PgChangeListenerSnapshot(PostCache.LISTENER, new SnapshotNotice(TableName.of("public", "posts"),
                phase, 0, Instant.now()));
    }

    private static Post post(long id) {
        return new Post(id, "post " + id, "", "draft", null);
    }

    private static ChangeEvent event(Operation operation, long id) {
        Row row = new Row(Map.of("id", id));
        return new ChangeEvent(operation, operation, TableName.of("public", "posts"), row, null, row, Set.of(), 1,
                Instant.now(), new Position(1, 0));
    }
}
