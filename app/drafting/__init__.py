"""Assisted drafts: candidate claims proposed from a document's text for a curator to review.

`claimline draft DOCUMENT_ID` writes them to a drafts folder the loader never reads;
`claimline accept DRAFT_FILE` moves the reviewed ones into the seed claims; `claimline
draft-eval` measures the drafts against the curated claims (docs/drafting.md).
"""
