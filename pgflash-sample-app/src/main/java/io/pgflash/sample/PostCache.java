package io.pgflash.sample;

import io.pgflash.core.ChangeEvent;
import io.pgflash.spring.annotation.PgChangeListener;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import io.pgflash.spring.listener.PgChangeListenerGap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The classic use: an in-memory copy of {@code posts} kept current by change events, whoever wrote the change (this
 * application, another one, or psql). The page's post list is read from here, not from the database.
 * <p>
 * The copy is loaded after the listeners started, so no change can fall between the load and the first event;
 * events that arrive while it loads wait and are applied after it, in order (each carries the whole row, so applying
 * one the load already saw changes nothing). A key change arrives as the old key's DELETE and the new key's INSERT, and
 * when the listener may have missed changes (the notify mode's reconnect) the copy is loaded again.
 */
@Component
public class PostCache implements SmartLifecycle {

    private final BlogRepository repository;
    private final Map<Long, Post> posts = new ConcurrentHashMap<>();
    private final List<Change> waiting = new ArrayList<>();
    private boolean loaded;

    public PostCache(BlogRepository repository) {
        this.repository = repository;
    }

    @PgChangeListener(value = "posts", id = "post-cache", splitKeyChanges = true)
    void onChange(ChangeEvent event, Post post) {
        synchronized (this) {
            if (!loaded) {
                waiting.add(new Change(event, post));
                return;
            }
        }
        apply(new Change(event, post));
    }

    private void apply(Change change) {
        switch (change.event().operation()) {
            case INSERT, UPDATE -> posts.put(change.post().id(), change.post());
            case DELETE -> posts.remove(change.post().id());
            case TRUNCATE -> posts.clear();
        }
    }

    /**
     * Loads the copy again after a gap. The gap comes on the listener's own thread, between its events, so none is
     * applied meanwhile; those after it bring the copy up from what the load read.
     */
    @EventListener
    void onGap(PgChangeListenerGap gap) {
        if (gap.listenerId().equals("post-cache")) {
            synchronized (this) {
                posts.clear();
                repository.findAll().forEach(post -> posts.put(post.id(), post));
            }
        }
    }

    /** The newest {@code limit} posts, newest first. */
    public List<Post> newest(int limit) {
        return posts.values().stream().sorted(Comparator.comparing(Post::id).reversed()).limit(limit).toList();
    }

    public int size() {
        return posts.size();
    }

    @Override
    public synchronized void start() {
        if (loaded) {
            return;
        }
        repository.findAll().forEach(post -> posts.put(post.id(), post));
        waiting.forEach(this::apply);
        waiting.clear();
        loaded = true;
    }

    @Override
    public void stop() {
        // the copy stays readable; events after a restart of the listeners keep it current
    }

    @Override
    public synchronized boolean isRunning() {
        return loaded;
    }

    /** After the listeners' registry: they subscribe first, then the copy loads. */
    @Override
    public int getPhase() {
        return ListenerEndpointRegistry.PHASE + 1;
    }

    private record Change(ChangeEvent event, Post post) {
    }
}
