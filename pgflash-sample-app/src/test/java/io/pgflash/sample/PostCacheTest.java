package io.pgflash.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Position;
import io.pgflash.core.Row;
import io.pgflash.core.StreamGap;
import io.pgflash.core.TableName;
import io.pgflash.spring.listener.PgChangeListenerGap;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** Events that arrive while the cache loads wait, and are applied on top of the load, in order. */
@EmbeddedSampleApp
class PostCacheTest {

    @Autowired
    BlogRepository repository;

    @Test
    void eventsDuringTheLoadAreAppliedAfterIt() {
        long kept = repository.insertPost("In the database", "", "draft");
        long deleted = repository.insertPost("Deleted while loading", "", "draft");
        PostCache cache = new PostCache(repository);

        cache.onChange(event(Operation.INSERT, -1), post(-1, "Inserted while loading"));
        cache.onChange(event(Operation.DELETE, deleted), post(deleted, "Deleted while loading"));
        assertThat(cache.size()).isZero();

        cache.start();
        assertThat(cache.newest(cache.size())).extracting(Post::id).contains(kept, -1L).doesNotContain(deleted);
    }

    @Test
    void aGapLoadsTheCopyAgain() {
        PostCache cache = new PostCache(repository);
        cache.start();
        long missed = repository.insertPost("Written while the listener was away", "", "draft");
        assertThat(cache.newest(cache.size())).extracting(Post::id).doesNotContain(missed);

        cache.onGap(new PgChangeListenerGap("post-cache",
                new StreamGap("the listening connection was lost", Instant.now())));

        assertThat(cache.newest(cache.size())).extracting(Post::id).contains(missed);
    }

    private static Post post(long id, String title) {
        return new Post(id, title, "", "draft", null);
    }

    private static ChangeEvent event(Operation operation, long id) {
        Row row = new Row(Map.of("id", id));
        return new ChangeEvent(operation, operation, TableName.of("public", "posts"),
                operation == Operation.DELETE ? null : row, operation == Operation.DELETE ? row : null, row, Set.of(),
                1, Instant.now(), new Position(1, 0));
    }
}
