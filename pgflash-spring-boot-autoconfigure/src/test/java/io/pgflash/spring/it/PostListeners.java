package io.pgflash.spring.it;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.SnapshotMode;
import io.pgflash.spring.annotation.OldRow;
import io.pgflash.spring.annotation.PgChangeListener;
import io.pgflash.spring.listener.PgChangeListenerSnapshot;
import java.util.List;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

@Component
public class PostListeners {

    private final Received received;

    PostListeners(Received received) {
        this.received = received;
    }

    // README-START
    @PgChangeListener(value = "posts", ops = Operation.INSERT, filter = "status=eq.published")
    void onPublished(Post post) {
        received.published.add(post);
    }

    @PgChangeListener(value = "posts", ops = Operation.UPDATE, columns = "title")
    void onTitleChanged(Post after, @OldRow Post before) {
        received.titleChanges.add(before.title() + " -> " + after.title());
    }

    @PgChangeListener(value = "posts", ops = {Operation.DELETE, Operation.TRUNCATE})
    void onRemoved(ChangeEvent event, Operation operation) {
        received.removed.add(operation);
    }

    @PgChangeListener(value = "comments", id = "comment-batches")
    void onComments(List<ChangeEvent> batch) {
        received.commentBatches.add(batch);
    }
    // README-END

    @PgChangeListener(value = "posts", id = "author-99-cache", filter = "author_id=eq.99",
            snapshot = SnapshotMode.INITIAL)
    void cache(ChangeEvent event, Post post) {
        received.cached.add(event.operation() + " " + post.id());
    }

    @EventListener
    void onSnapshot(PgChangeListenerSnapshot snapshot) {
        if (snapshot.listenerId().equals("author-99-cache")) {
            received.snapshots.add(snapshot.notice().phase() + " " + snapshot.notice().rows());
        }
    }

    @PgChangeListener(value = "posts", id = "${blog.paused-id:paused}", autoStartup = "false", ops = Operation.INSERT)
    void paused(ChangeEvent event) {
        received.paused.add(event);
    }
}
