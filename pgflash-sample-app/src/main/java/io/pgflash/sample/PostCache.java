package io.pgflash.sample;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.SnapshotMode;
import io.pgflash.spring.annotation.PgChangeListener;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import io.pgflash.spring.listener.PgChangeListenerGap;
import io.pgflash.spring.listener.PgChangeListenerSnapshot;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The classic use: an in-memory copy of {@code posts} kept current by change events, whoever wrote the change (this
 * application, another one, or psql). The page's post list is read from here, not from the database.
 * <p>
 * The copy starts from a snapshot at every start ({@code snapshot = EVERY_START}: a copy in memory is empty after a
 * restart, whatever the driver kept): every current post arrives as a READ event, then the
 * changes after them, and pgflash makes sure none falls between and no post goes back to an older state. A key change
 * arrives as the old key's DELETE and the new key's INSERT. When the listener may have missed changes (the notify
 * mode's reconnect), the copy asks for a snapshot again; the posts it does not bring back (deleted meanwhile) are
 * removed when it completes.
 */
@Component
public class PostCache {

    static final String LISTENER = "post-cache";
    private static final Logger log = LoggerFactory.getLogger(PostCache.class);

    private final ObjectProvider<ListenerEndpointRegistry> registry;
    private final Map<Long, Post> posts = new ConcurrentHashMap<>();
    /** The posts a snapshot under way brought or changed; null when none runs. Guarded by this. */
    private Set<Long> seen;

    public PostCache(ObjectProvider<ListenerEndpointRegistry> registry) {
        this.registry = registry;
    }

    @PgChangeListener(value = "posts", id = LISTENER, splitKeyChanges = true, snapshot = SnapshotMode.EVERY_START)
    synchronized void onChange(ChangeEvent event, Post post) {
        switch (event.operation()) {
            case READ, INSERT, UPDATE -> {
                posts.put(post.id(), post);
                if (seen != null) {
                    seen.add(post.id());
                }
            }
            case DELETE -> posts.remove(post.id());
            case TRUNCATE -> {
                posts.clear();
                if (seen != null) {
                    seen.clear();
                }
            }
        }
    }

    /** In order with the events: what the snapshot did not bring (deleted while events were missed) goes at its end. */
    @EventListener
    synchronized void onSnapshot(PgChangeListenerSnapshot snapshot) {
        if (!snapshot.listenerId().equals(LISTENER)) {
            return;
        }
        switch (snapshot.notice().phase()) {
            case STARTED -> seen = new HashSet<>();
            case COMPLETED -> {
                if (seen != null) {
                    posts.keySet().retainAll(seen);
                }
                seen = null;
            }
            case FAILED -> seen = null; // not the whole table: keep what the copy has
        }
    }

    /**
     * Reads the table again after a gap, off the listener's thread (asking for a snapshot waits for the client's
     * lock, which a stopping client holds while it waits for its listeners).
     */
    @EventListener
    void onGap(PgChangeListenerGap gap) {
        if (gap.listenerId().equals(LISTENER)) {
            CompletableFuture.runAsync(() -> registry.getObject().snapshot(LISTENER)).exceptionally(error -> {
                log.warn("Could not read posts again after a gap: {}", error.getMessage());
                return null;
            });
        }
    }

    /** The newest {@code limit} posts, newest first. */
    public List<Post> newest(int limit) {
        return posts.values().stream().sorted(Comparator.comparing(Post::id).reversed()).limit(limit).toList();
    }

    public int size() {
        return posts.size();
    }
}
