package org.k200emu.nvme.controller;

/**
 * Where a controller hands back a finished {@link NvmeRequest}: implemented by the front end
 * (transport) that submitted it. Called exactly once per request, on the thread of the core the
 * request was submitted on.
 */
@FunctionalInterface
public interface CompletionHandler {
    void completed(NvmeRequest req);
}
