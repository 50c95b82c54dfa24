"""The checkpoint hash sees every tensor, its shape and its dtype."""
import pytest
import torch

from gmcourse import checkpoint
from gmcourse.nn import MLP


def test_changing_any_single_tensor_changes_the_hash():
    torch.manual_seed(0)
    state = MLP(2, 2, hidden=8).state_dict()
    ref = checkpoint.state_hash(state)
    for name in state:  # the first, the last in sorted order, and all between
        edited = {k: v.clone() for k, v in state.items()}
        edited[name].view(-1)[-1] += 1e-3
        assert checkpoint.state_hash(edited) != ref, name


def test_a_checkpoint_with_its_last_tensor_edited_is_refused(tmp_path):
    model = MLP(2, 2, hidden=8)
    path = checkpoint.save(model, "m", {"hidden": 8}, root=tmp_path)
    blob = torch.load(path, weights_only=True)
    blob["state"][sorted(blob["state"])[-1]].view(-1)[0] += 1e-3
    torch.save(blob, path)
    with pytest.raises(checkpoint.CheckpointError, match="content hash"):
        checkpoint.load(MLP(2, 2, hidden=8), "m", root=tmp_path)


def test_the_hash_sees_shapes_and_dtypes_of_equal_bytes():
    zeros = torch.zeros(6)
    hashes = {checkpoint.state_hash({"a": t}) for t in
              (zeros.view(2, 3), zeros.view(3, 2), torch.zeros(6, dtype=torch.int32))}
    assert len(hashes) == 3
