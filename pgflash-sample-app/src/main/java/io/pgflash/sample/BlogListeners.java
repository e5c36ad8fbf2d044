package io.pgflash.sample;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Row;
import io.pgflash.spring.annotation.OldRow;
import io.pgflash.spring.annotation.PgChangeListener;
import org.springframework.stereotype.Component;

/** One listener per pgflash feature; each tells the page what it saw. */
@Component
public class BlogListeners {

    private final ChangeFeed feed;

    public BlogListeners(ChangeFeed feed) {
        this.feed = feed;
    }

    /** Inserts only, bound to a record. */
    @PgChangeListener(value = "posts", ops = Operation.INSERT, id = "new-posts")
    void onNewPost(Post post) {
        feed.note("new-posts", "New post #" + post.id() + ": \"" + post.title() + "\" (" + post.status() + ")");
    }

    /**
     * A filter: posts that are published. A draft that becomes published enters the filter, so it arrives as an
     * INSERT of this subscription too.
     */
    @PgChangeListener(value = "posts", ops = Operation.INSERT, filter = "status=eq.published", id = "published")
    void onPublished(Post post) {
        feed.note("published", "Now published: \"" + post.title() + "\"");
    }

    /** Partial fields: only updates that change the title, with only the title and the key in the rows. */
    @PgChangeListener(value = "posts", ops = Operation.UPDATE, columns = "title", id = "title-changes")
    void onTitleChanged(Row post, @OldRow Row before) {
        String from = before == null ? "" : " from \"" + before.get("title") + "\"";
        feed.note("title-changes", "Post #" + post.get("id") + " renamed" + from + " to \"" + post.get("title") + "\"");
    }

    /** What goes away: deleted rows (the old row) and truncations (no row). */
    @PgChangeListener(value = "posts", ops = {Operation.DELETE, Operation.TRUNCATE}, id = "removals")
    @PgChangeListener(value = "comments", ops = {Operation.DELETE, Operation.TRUNCATE}, id = "comment-removals")
    void onRemoved(ChangeEvent event) {
        String table = event.table().name();
        feed.note("removals", event.operation() == Operation.TRUNCATE
                        ? table + " truncated"
                        : "Deleted from " + table + ": #" + event.key().get("id"));
    }
}
