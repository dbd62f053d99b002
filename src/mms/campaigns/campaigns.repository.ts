import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, Model, Types } from 'mongoose';
import { isDuplicateKeyError } from '../../shared/duplicate-key';
import { Readers } from '../message-log/message-log.repository';
import { Campaign, CampaignCounts, CampaignStatus } from './campaign.schema';

export type CampaignRecord = Campaign & { _id: Types.ObjectId };
export type NewCampaign = Omit<Campaign, 'status' | 'createdAt' | 'updatedAt' | 'startedAt'>;

const owned = (id: Types.ObjectId, readers: Readers): FilterQuery<Campaign> =>
  readers === 'all' ? { _id: id } : { _id: id, clientId: readers.clientId };

/** The `campaigns` collection: each change of a campaign's status is one conditional write. */
@Injectable()
export class CampaignsRepository {
  constructor(@InjectModel(Campaign.name) private readonly model: Model<Campaign>) {}

  /**
   * The campaign in `creating`. Its _id taken: the same request (its Idempotency-Key's id)
   * retried after a crash, or still running: 'exists', and the caller carries on with it.
   */
  async insertCreating(campaign: NewCampaign): Promise<'created' | 'exists'> {
    try {
      await this.model.create({ ...campaign, status: 'creating' });
      return 'created';
    } catch (error) {
      if (isDuplicateKeyError(error)) return 'exists';
      throw error;
    }
  }

  /**
   * Creation done: `creating` → `status` (scheduled or running) with the final counts, and due
   * for the campaign monitor now: a monitor that saw it `creating` put it off until the creation
   * deadline (CAMPAIGN_CREATING_TIMEOUT_MS), and its lease, if it holds one, is void. `moved`:
   * this call made the change (false: another attempt of the same request already had).
   */
  async finishCreating(
    id: Types.ObjectId,
    status: CampaignStatus,
    counts: CampaignCounts,
  ): Promise<{ campaign: CampaignRecord | null; moved: boolean }> {
    const result = await this.model.collection.updateOne(
      { _id: id, status: 'creating' },
      {
        $set: { status, counts, monitorDueAt: new Date(), updatedAt: new Date() },
        $unset: { monitorLease: '' },
      },
    );
    const campaign = await this.model.findById(id).lean<CampaignRecord>().exec();
    return { campaign, moved: result.modifiedCount === 1 };
  }

  findById(id: Types.ObjectId, readers: Readers = 'all'): Promise<CampaignRecord | null> {
    return this.model.findOne(owned(id, readers)).lean<CampaignRecord>().exec();
  }

  /** `to`, when the campaign is in one of `from`: the campaign after, or null when it was not. */
  async transition(
    id: Types.ObjectId,
    readers: Readers,
    from: CampaignStatus[],
    to: CampaignStatus,
    set: Partial<Campaign> = {},
  ): Promise<CampaignRecord | null> {
    return this.model
      .findOneAndUpdate(
        { ...owned(id, readers), status: { $in: from } },
        { $set: { status: to, ...set } },
        { new: true },
      )
      .lean<CampaignRecord>()
      .exec();
  }

  /** Newest first; the cursor is one range on _id (the {clientId, _id} index). */
  list(readers: Readers, limit: number, before?: Types.ObjectId): Promise<CampaignRecord[]> {
    const query: FilterQuery<Campaign> = readers === 'all' ? {} : { clientId: readers.clientId };
    if (before) query._id = { $lt: before };
    return this.model.find(query).sort({ _id: -1 }).limit(limit).lean<CampaignRecord[]>().exec();
  }
}
