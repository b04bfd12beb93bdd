"""Actions: the writes write-back proposes to QuickBooks, Xero and HubSpot, with the
evidence and the exact request, and approve / reject for a person (docs/workflows.md)."""

import polars as pl
import streamlit as st

import shared
from ledgerlake.lake import Lake
from ledgerlake.workflows import ActionStore
from ledgerlake.workflows.run import decide
from ledgerlake.workflows.store import OPEN

STATUSES = ["awaiting_approval", "pending", "dry_run", "applied", "rejected", "superseded", "reversed"]
COLUMNS = ["action_id", "status", "workflow", "entity_id", "system", "kind", "why", "attempts", "last_error"]

st.title("Actions")
st.caption(
    "What write-back would write (dry-run), waits to write (awaiting approval), is writing (pending: "
    "a refused write stays here with the provider's reason and is tried again on the next run) and wrote."
)
try:
    store = ActionStore(Lake())
    actions = store.all()
except Exception as err:  # noqa: BLE001 - the lake unreachable: say so, do not fail the page
    st.warning(shared.md(f"The actions store cannot be read: {err}"))
    st.stop()
if not actions:
    st.info("No actions yet: write-back proposes them after the next build (`ledgerlake actions run`).")
    st.stop()

c1, c2 = st.columns(2)
statuses = c1.multiselect("Status", STATUSES, default=list(OPEN), key="action_status")
workflows = sorted({a["workflow"] for a in actions})
chosen = c2.multiselect("Workflow", workflows, default=workflows, key="action_workflow")
rows = [{k: a.get(k) for k in COLUMNS} for a in actions if a["status"] in statuses and a["workflow"] in chosen]
st.caption(f"{len(rows)} of {len(actions)} actions")
if not rows:
    st.stop()
frame = pl.DataFrame(rows, schema={c: pl.Int64 if c == "attempts" else pl.Utf8 for c in COLUMNS})
shared.table(frame, "actions")

st.subheader("Action detail")
by_id = {a["action_id"]: a for a in actions}
action_id = st.selectbox(
    "Action", [r["action_id"] for r in rows], format_func=lambda a: f"{by_id[a]['why'][:90]} ({a})", key="action_pick"
)
action = by_id[action_id]
st.markdown(
    f"**{shared.md(action['kind'].replace('_', ' '))}** in **{shared.md(action['system'])}** for "
    f"{shared.md(action['entity_id'])} · mode {shared.md(action['mode'])} · status "
    f"**{shared.md(action['status'])}** · attempts {action.get('attempts', 0)}"
)
st.write(shared.md(action["why"]))
if action.get("last_error"):
    st.error(shared.md(f"Last refusal: {action['last_error']}"), icon=":material/error:")
if action.get("result"):
    st.success(shared.md(f"Written: {action['result']}"), icon=":material/check_circle:")

st.markdown("**What it sends**")
st.json(action.get("preview") or {}, expanded=2)
st.markdown("**Evidence**")
st.json(action.get("evidence") or {}, expanded=True)

note = st.text_input("Note (optional)", key=f"action_note_{action_id}")
b1, b2, _ = st.columns([1, 1, 4])
is_open = action["status"] in OPEN
if b1.button(
    "Approve", key=f"approve_{action_id}", disabled=not is_open or bool(action.get("approved_by")), type="primary"
):
    decide(store, action_id, "approve", shared.current_user(), note)
    st.rerun()
if b2.button("Reject", key=f"reject_{action_id}", disabled=not is_open):
    decide(store, action_id, "reject", shared.current_user(), note)
    st.rerun()
if action.get("mode") == "dry-run":
    st.caption(
        "This workflow is in dry-run for this entity: an approval is recorded, and the write happens once "
        "its mode is draft or auto (LEDGERLAKE_WRITEBACK_MODES)."
    )
history = action.get("history") or []
if history:
    st.markdown("**History**")
    shared.table(
        pl.DataFrame(
            [{"at": h["at"], "event": h["event"], "by": h["by"], "reason": h.get("reason") or ""} for h in history]
        ),
        "action history",
        key=f"history_{action_id}",
    )
